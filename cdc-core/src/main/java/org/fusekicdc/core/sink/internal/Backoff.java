package org.fusekicdc.core.sink.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Retry delays: the first {@code initial}, doubled after each failure up to {@code max}, each with ±20% jitter. */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private long currentMillis;

    Backoff(Duration initial, Duration max) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.currentMillis = initialMillis;
    }

    /** The delay before the next attempt; the one after is twice as long (up to the maximum). */
    long next() {
        long jittered = (long)(currentMillis * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        currentMillis = Math.min(currentMillis * 2, maxMillis);
        return jittered;
    }

    /** Back to the first delay, after a success. */
    void reset() {
        currentMillis = initialMillis;
    }
}
