package org.fusekicdc.core.internal.follow;

import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.time.ClockDeadline;

/**
 * A follower's wait between retries: the back-off doubles up to {@code cdc:maxBackoff}, each wait
 * is jittered and timed by the log's clock, and closing the follower ends it at once.
 */
final class RetryBackoff {
    private final ChangeLog log;
    private final FollowerConfig config;
    private final BooleanSupplier running;
    // Counted down by close: wakes a follower waiting out a backoff.
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** @param running whether the follower runs (not closed, not halted) */
    RetryBackoff(ChangeLog log, FollowerConfig config, BooleanSupplier running) {
        this.log = log;
        this.config = config;
        this.running = running;
    }

    /** Wait for the backoff, with jitter, by the log's clock; false if the follower was closed meanwhile. */
    boolean sleep(Duration backoff) {
        long jittered = (long)(backoff.toMillis() * (0.5 + ThreadLocalRandom.current().nextDouble() / 2));
        InstantSource clock = log.config().clock();
        long until = clock.millis() + jittered;
        try {
            long left;
            while ( (left = ClockDeadline.nextWait(clock, until)) > 0 ) {
                if ( stopped.await(left, TimeUnit.MILLISECONDS) )
                    return false;
            }
            return running.getAsBoolean();
        } catch (InterruptedException ex) {
            return false;
        }
    }

    /** The backoff after {@code backoff}: twice as long, up to {@code cdc:maxBackoff}. */
    Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
    }

    /** The follower is closed: a wait under way ends, and later ones do not wait. */
    void stop() {
        stopped.countDown();
    }
}
