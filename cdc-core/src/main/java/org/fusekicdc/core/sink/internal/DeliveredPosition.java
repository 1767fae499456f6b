package org.fusekicdc.core.sink.internal;

import org.fusekicdc.core.internal.log.ReaderCursor;

/**
 * The version up to which a sink has delivered, and when that is written to its durable cursor.
 * The version is only touched by the runner's thread; {@link #acknowledged()} may be read by any.
 */
final class DeliveredPosition {
    private static final long ACK_INTERVAL_NANOS = 100_000_000;

    private final CursorWriter writer;
    private long version;
    // The destination told open() which version it holds: then the cursor is only a hint and
    // is written at most every ACK_INTERVAL, not after every patch (each write forces a file),
    // and on the cursor writer's thread.
    private boolean destinationKnowsPosition;
    private long lastAckNanos;

    DeliveredPosition(ReaderCursor cursor, String what) {
        this.version = cursor.acknowledged();
        this.writer = new CursorWriter(cursor, what);
    }

    long version() {
        return version;
    }

    /** Delivered up to {@code version}; the cursor follows when acknowledged. */
    void moveTo(long version) {
        this.version = version;
    }

    /** Deliver again (or go on) after {@code version}, back or forth, with the cursor moved there now. */
    void rewind(long version) {
        this.version = version;
        writer.rewind(version);
    }

    /** Whether the sink's destination says at each open which version it holds. */
    void destinationKnowsPosition(boolean knows) {
        destinationKnowsPosition = knows;
    }

    /** What was acknowledged, though the cursor's file may still be being written. */
    long acknowledged() {
        return writer.requested();
    }

    /** Record the position in the durable cursor: now when forced, else when it is due. */
    void acknowledge(boolean force) {
        if ( version <= writer.requested() )
            return;
        long now = System.nanoTime();
        if ( force || !destinationKnowsPosition ) {
            writer.writeNow(version);
            lastAckNanos = now;
        } else if ( now - lastAckNanos >= ACK_INTERVAL_NANOS ) {
            // Only a hint: written off this thread, so that its fsync does not hold up the next patch.
            writer.writeLater(version);
            lastAckNanos = now;
        }
    }

    void close() {
        writer.close();
    }
}
