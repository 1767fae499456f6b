package org.fusekicdc.core.internal.time;

import java.time.Duration;

/**
 * Waits a while: {@link #SYSTEM} sleeps the thread; a test passes one that moves its clock
 * forward instead, so that waits decided by time (a rate limit, a retry delay) take no time.
 */
@FunctionalInterface
public interface Sleeper {
    Sleeper SYSTEM = Thread::sleep;

    void sleep(Duration d) throws InterruptedException;
}
