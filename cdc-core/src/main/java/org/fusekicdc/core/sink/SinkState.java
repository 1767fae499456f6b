package org.fusekicdc.core.sink;

/** Where a sink's delivery stands. */
public enum SinkState {
    /** Not started yet, or stopped. */
    STOPPED,
    /** Delivering, or caught up and waiting for new patches. */
    RUNNING,
    /** The last attempt failed with a transient error; trying again after a backoff. */
    RETRYING,
    /** Stopped delivering: by an admin, or on a permanent error with no dead-letter directory. */
    PAUSED,
    /** Could not start at all (for example a configuration the broker rejects). */
    FAILED
}
