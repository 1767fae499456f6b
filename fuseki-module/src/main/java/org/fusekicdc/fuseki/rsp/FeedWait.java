package org.fusekicdc.fuseki.rsp;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * Where a thread feeding stream engines waits when it has nothing to feed: until it is woken (a
 * commit published, a request posted), until the end of the earliest window still open (its
 * engines say when, {@link org.fusekicdc.rsp.StreamEngine#nextClose}), or for at most the tick
 * ({@code cdc:streamTickMillis}), whichever comes first. Waiting exactly until a window's end
 * closes it there, not up to a tick later; the tick only bounds a wait computed from a clock that
 * may since have been set.
 */
final class FeedWait {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private final ChangeLog log;
    private final InstantSource clock;
    private final Duration tick;

    /** @param log the change log whose clock (and unpublished head) the engines' time follows */
    FeedWait(ChangeLog log, Duration tick) {
        this.log = log;
        this.clock = log.config().clock();
        this.tick = tick;
    }

    /** Wake the waiting thread. Cheap: a publish listener calls it on the committing thread. */
    void wake() {
        lock.lock();
        try {
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Wait while {@code idle} holds (checked under the lock {@link #wake} takes, so a wake-up
     * after the check is not missed) until woken, until {@code nextClose}, or for the tick. When
     * {@code nextClose} has passed, there is no wait, unless the clock is held below it by a
     * commit appended and not yet published ({@link ContinuousQueries#clockNow}): that commit's
     * publish wakes the thread.
     */
    void await(Optional<Instant> nextClose, BooleanSupplier idle) throws InterruptedException {
        lock.lock();
        try {
            long nanos = tick.toNanos();
            if ( nextClose.isPresent() ) {
                long untilClose = Duration.between(clock.instant(), nextClose.get()).toNanos();
                if ( untilClose > 0 )
                    nanos = Math.min(nanos, untilClose);
                else if ( !ContinuousQueries.clockNow(log, clock).isBefore(nextClose.get()) )
                    return;
            }
            while ( nanos > 0 && idle.getAsBoolean() )
                nanos = woken.awaitNanos(nanos);
        } finally {
            lock.unlock();
        }
    }
}
