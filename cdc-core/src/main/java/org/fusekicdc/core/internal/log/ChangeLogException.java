package org.fusekicdc.core.internal.log;

import org.fusekicdc.core.CdcException;

/** The change log could not be read or written: I/O failure, corruption, or a version it no longer holds. */
public class ChangeLogException extends CdcException {
    public ChangeLogException(String message) {
        super(message);
    }

    public ChangeLogException(String message, Throwable cause) {
        super(message, cause);
    }
}
