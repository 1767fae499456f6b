package org.fusekicdc.core.sink.internal;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * Exponential backoff with jitter: each delay is twice the one before, up to a bound, and 0.8
 * to 1.2 times that so that runners failing together do not retry together. A success starts again.
 */
final class Backoff {
    private final long initialMillis;
    private final long maxMillis;
    private final DoubleSupplier random;
    private long stepMillis;

    Backoff(Duration initial, Duration max) {
        this(initial, max, () -> ThreadLocalRandom.current().nextDouble());
    }

    /** {@code random} gives numbers in [0, 1) that place each delay within its jitter. */
    Backoff(Duration initial, Duration max, DoubleSupplier random) {
        this.initialMillis = initial.toMillis();
        this.maxMillis = max.toMillis();
        this.random = random;
        this.stepMillis = initialMillis;
    }

    /** The delay before the next attempt, in milliseconds; the one after will be twice as long (up to the bound). */
    long nextMillis() {
        long jittered = (long)(stepMillis * (0.8 + 0.4 * random.getAsDouble()));
        stepMillis = Math.min(stepMillis * 2, maxMillis);
        return jittered;
    }

    /** After a success: the next delay is the initial one. */
    void reset() {
        stepMillis = initialMillis;
    }
}
