package org.fusekicdc.fuseki.stream;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * When an {@link EventStream} is due a heartbeat, and when its client has become a slow reader,
 * from the times of its last write and of the moment the client stopped taking bytes, read from
 * a nanosecond ticker ({@code System::nanoTime}, or a test's). Not thread-safe: the stream calls
 * it under its lock.
 */
final class StreamWatch {
    enum Due { NOTHING, HEARTBEAT, SLOW_READER }

    private final LongSupplier nanoTime;
    // Long.MAX_VALUE for a body that has no heartbeat.
    private final long heartbeatNanos;
    private final long slowReaderNanos;
    private long lastWriteNanos;
    // When the client last stopped taking bytes while some waited; 0 while it takes them.
    private long blockedSinceNanos;

    /** @param heartbeat null for a finite body, which has none */
    StreamWatch(Duration heartbeat, Duration slowReaderTimeout, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.heartbeatNanos = heartbeat == null ? Long.MAX_VALUE : heartbeat.toNanos();
        this.slowReaderNanos = slowReaderTimeout.toNanos();
        this.lastWriteNanos = nanoTime.getAsLong();
    }

    boolean hasHeartbeat() {
        return heartbeatNanos != Long.MAX_VALUE;
    }

    void wrote() {
        lastWriteNanos = nanoTime.getAsLong();
    }

    /** The client cannot take more now; the first call of a stall starts the slow-reader bound. */
    void blocked() {
        if ( blockedSinceNanos == 0 )
            blockedSinceNanos = nanoTime.getAsLong();
    }

    void unblocked() {
        blockedSinceNanos = 0;
    }

    /** A heartbeat when idle (and the client takes bytes) for the interval; a slow reader when stalled past its bound. */
    Due due() {
        long now = nanoTime.getAsLong();
        if ( blockedSinceNanos != 0 )
            return now - blockedSinceNanos > slowReaderNanos ? Due.SLOW_READER : Due.NOTHING;
        return now - lastWriteNanos >= heartbeatNanos ? Due.HEARTBEAT : Due.NOTHING;
    }
}
