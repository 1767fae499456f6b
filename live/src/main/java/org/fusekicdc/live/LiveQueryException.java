package org.fusekicdc.live;

import org.fusekicdc.core.CdcException;

/** A live query cannot be registered or kept up to date; {@link #kind()} says how a server should answer. */
public class LiveQueryException extends CdcException {
    /** What went wrong, mapped by servers to HTTP statuses. */
    public enum Kind {
        /** The query is malformed or uses something live queries do not support (400). */
        BAD_QUERY,
        /** This client holds as many subscriptions as it may (429). */
        TOO_MANY_FOR_CLIENT,
        /** The server holds as many subscriptions as it may (503). */
        TOO_MANY,
        /** The engine did not answer in time, or is stopping: the same request may succeed later (503). */
        BUSY,
        /**
         * Evaluating the query exceeded a per-evaluation budget (time or rows): as written, it will
         * not succeed however often it is tried (422).
         */
        TOO_EXPENSIVE
    }

    private final Kind kind;

    public LiveQueryException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
