package org.fusekicdc.core.internal.time;

import java.time.InstantSource;

/**
 * A wait until a time on an injected clock. Waits are cut into slices of at most
 * {@link #CHECK_MILLIS}, after each of which the clock is read again, so that a test clock set
 * forward ends the wait (a monitor or latch waits in real time whatever the clock says).
 */
public final class ClockDeadline {
    static final long CHECK_MILLIS = 100;

    private ClockDeadline() {}

    /** How long to wait before reading {@code clock} again; 0 or less once {@code untilMillis} has passed. */
    public static long nextWait(InstantSource clock, long untilMillis) {
        long left = untilMillis - clock.millis();
        return left <= 0 ? left : Math.min(left, CHECK_MILLIS);
    }
}
