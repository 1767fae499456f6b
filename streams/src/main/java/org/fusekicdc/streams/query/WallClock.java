package org.fusekicdc.streams.query;

import java.time.Duration;

/**
 * How time windows close without a new commit. Every {@code tick} the time of each dataset
 * advances to a bound no commit still to come can be stamped before, assuming a commit reaches
 * the change topic at most {@code allowedDelay} after its commit time: the wall clock minus
 * {@code allowedDelay} when the task has read no record for a whole tick (it has read all the
 * topic holds), else the newest commit time read (of any dataset of the task) minus
 * {@code allowedDelay}: the records still to read were written after that commit reached the
 * topic, so no later than {@code allowedDelay} after their own commit. A commit that arrives
 * later than that is taken at the time already reached, as in the server.
 *
 * @param tick         how often time advances (and commits no window needs any more are let go)
 * @param allowedDelay how long after its commit time a commit may reach the topic
 */
public record WallClock(Duration tick, Duration allowedDelay) {
    public static final WallClock DEFAULTS = new WallClock(Duration.ofSeconds(1), Duration.ofSeconds(5));

    public WallClock {
        if ( tick.isNegative() || tick.isZero() )
            throw new IllegalArgumentException("the tick must be positive: " + tick);
        if ( allowedDelay.isNegative() )
            throw new IllegalArgumentException("the allowed delay must not be negative: " + allowedDelay);
    }

    /**
     * The time a dataset may advance to, or Long.MIN_VALUE for none yet.
     *
     * @param now          the wall clock (ms)
     * @param idle         whether the task has read no record since the tick before
     * @param newestCommit the newest commit time read (ms), Long.MIN_VALUE for none
     */
    long bound(long now, boolean idle, long newestCommit) {
        long from = idle ? now : newestCommit;
        return from == Long.MIN_VALUE ? Long.MIN_VALUE : from - allowedDelay.toMillis();
    }
}
