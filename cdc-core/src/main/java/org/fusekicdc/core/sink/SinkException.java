package org.fusekicdc.core.sink;

import org.fusekicdc.core.CdcException;

/**
 * Delivery to a sink failed. Transient failures (broker down, timeout) are retried with
 * backoff; permanent ones (patch too large even when split, not authorised) are not.
 */
public class SinkException extends CdcException {
    private final boolean permanent;

    private SinkException(String message, Throwable cause, boolean permanent) {
        super(message, cause);
        this.permanent = permanent;
    }

    /** A failure that may pass: retry later. */
    public static SinkException transientFailure(String message, Throwable cause) {
        return new SinkException(message, cause, false);
    }

    /** A failure that retrying will not fix. */
    public static SinkException permanentFailure(String message, Throwable cause) {
        return new SinkException(message, cause, true);
    }

    public boolean permanent() {
        return permanent;
    }
}
