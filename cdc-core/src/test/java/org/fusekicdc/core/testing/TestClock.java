package org.fusekicdc.core.testing;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.function.BooleanSupplier;

import org.fusekicdc.core.internal.time.Sleeper;

/**
 * A clock that stands still until a test moves it: time-based behaviour without sleeping. As a
 * {@link Sleeper}, a wait moves it forward by the time waited, at once.
 */
public final class TestClock implements InstantSource, Sleeper {
    private volatile Instant now;

    public TestClock() {
        this(Instant.parse("2030-01-01T00:00:00Z"));
    }

    public TestClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    /** The clock's time in nanoseconds, for code that measures elapsed time with a ticker ({@code System::nanoTime} otherwise). */
    public long nanoTime() {
        Instant t = now;
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }

    /** Move the clock forward by {@code d}. */
    public synchronized void advance(Duration d) {
        now = now.plus(d);
    }

    @Override
    public void sleep(Duration d) {
        advance(d);
    }

    /**
     * Move the clock forward by {@code step} at a time until {@code condition} holds (failing
     * after 20 s): for code that reads the clock on a thread of its own, which may read it before
     * or after any one move.
     */
    public void advanceUntil(Duration step, String what, BooleanSupplier condition) throws InterruptedException {
        TestSupport.await(what, Duration.ofSeconds(20), () -> {
            if ( condition.getAsBoolean() )
                return true;
            advance(step);
            return false;
        });
    }
}
