package org.fusekicdc.core.source;

import org.fusekicdc.core.CdcException;

/** A source cannot go on: the database is not set up for it, or a change cannot be applied. */
public class SourceException extends CdcException {
    public SourceException(String message) {
        super(message);
    }

    public SourceException(String message, Throwable cause) {
        super(message, cause);
    }
}
