package org.fusekicdc.core.sink.internal;

/**
 * The highest version a sink's destination is known to hold, and why the sink was fenced if it
 * was: writers acknowledged only once the destination holds their patch wait here.
 */
final class DestinationWatch {
    // Guarded by this.
    private long version;
    // Written under this (waiters wake on it), read without it for status.
    private volatile String fencedBecause;

    /**
     * Wait until the destination holds {@code version}, at most {@code timeoutMillis}. False on
     * time-out, or at once when the sink has been fenced.
     */
    synchronized boolean await(long version, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while ( this.version < version && fencedBecause == null ) {
            long waitNanos = deadline - System.nanoTime();
            if ( waitNanos <= 0 )
                return false;
            wait(Math.max(1, waitNanos / 1_000_000));
        }
        return this.version >= version;
    }

    synchronized long version() {
        return version;
    }

    /** The destination holds {@code version} (delivered, or found there on open). */
    synchronized void holds(long version) {
        if ( version > this.version ) {
            this.version = version;
            notifyAll();
        }
    }

    /** Another server leads the dataset now: waiters give up. */
    synchronized void fenced(String message) {
        fencedBecause = message;
        notifyAll();
    }

    String fencedBecause() {
        return fencedBecause;
    }
}
