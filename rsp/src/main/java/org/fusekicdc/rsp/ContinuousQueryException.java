package org.fusekicdc.rsp;

import org.fusekicdc.core.CdcException;

/**
 * A continuous query that cannot be registered or cannot go on: a malformed RSP-QL text, an
 * unknown stream, a window over its memory budget. The message names the cause and the fix;
 * {@link #line()} and {@link #column()} point into the query text when the cause is there.
 */
public class ContinuousQueryException extends CdcException {
    private final int line;
    private final int column;

    /** An error not tied to a place in the text (line and column are -1). */
    public ContinuousQueryException(String message) {
        this(message, -1, -1);
    }

    public ContinuousQueryException(String message, int line, int column) {
        super(line > 0 ? message + " (line " + line + ", column " + column + ")" : message);
        this.line = line;
        this.column = column;
    }

    /** 1-based line in the query text, or -1. */
    public int line() {
        return line;
    }

    /** 1-based column in the query text, or -1. */
    public int column() {
        return column;
    }
}
