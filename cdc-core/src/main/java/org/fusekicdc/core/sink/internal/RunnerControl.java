package org.fusekicdc.core.sink.internal;

import java.time.Instant;
import java.time.InstantSource;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.internal.time.ClockDeadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one sink's runner stands and what it has been asked to do: pause, resume, rewind, stop;
 * its state and last error, for status. Admin threads ask; the runner's thread waits here (while
 * paused, and out its backoff) and takes each request between deliveries.
 */
final class RunnerControl {
    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);

    private final String dataset;
    private final String sink;
    private final InstantSource clock;

    // Guarded by this.
    private SinkState state = SinkState.STOPPED;
    private boolean pauseRequested;
    private boolean stopping;
    private long rewindTo = -1;
    private String lastError;
    private Instant lastErrorTime;
    private long deadLettered;

    RunnerControl(String dataset, String sink, InstantSource clock) {
        this.dataset = dataset;
        this.sink = sink;
        this.clock = clock;
    }

    synchronized void started() {
        state = SinkState.RUNNING;
    }

    synchronized void requestPause() {
        pauseRequested = true;
        notifyAll();
    }

    synchronized void resume() {
        pauseRequested = false;
        if ( state == SinkState.PAUSED )
            state = SinkState.RUNNING;
        notifyAll();
    }

    synchronized void requestRewind(long version) {
        rewindTo = version;
        notifyAll();
    }

    synchronized void requestStop() {
        stopping = true;
        notifyAll();
    }

    synchronized void stopped() {
        state = SinkState.STOPPED;
    }

    /** Whether the runner should stop delivering the current batch: to stop, pause or rewind. */
    synchronized boolean interruptRequested() {
        return stopping || pauseRequested || rewindTo >= 0;
    }

    /**
     * Wait while paused; hand a requested rewind to {@code rewind}; false when stopping.
     *
     * @param position the version delivered last, for the log
     */
    synchronized boolean awaitRunnable(LongConsumer rewind, LongSupplier position) throws InterruptedException {
        while ( true ) {
            if ( stopping )
                return false;
            if ( rewindTo >= 0 ) {
                rewind.accept(rewindTo);
                rewindTo = -1;
            }
            if ( pauseRequested || state == SinkState.PAUSED ) {
                if ( state != SinkState.PAUSED ) {
                    state = SinkState.PAUSED;
                    LOG.info("Dataset '{}': sink '{}' paused after version {}", dataset, sink, position.getAsLong());
                }
                wait();
                continue;
            }
            return true;
        }
    }

    /** Wait {@code millis}, or less if a stop, pause or rewind is requested meanwhile. */
    synchronized void waitOut(long millis) throws InterruptedException {
        long deadline = clock.millis() + millis;
        long wait;
        while ( !stopping && !pauseRequested && rewindTo < 0 && (wait = ClockDeadline.nextWait(clock, deadline)) > 0 )
            wait(wait);
    }

    /** A delivery succeeded: true when that ends a run of retries. */
    synchronized boolean recovered() {
        if ( state != SinkState.RETRYING )
            return false;
        state = SinkState.RUNNING;
        return true;
    }

    synchronized void pauseWith(String message) {
        set(SinkState.PAUSED, message);
    }

    synchronized void set(SinkState s, String error) {
        state = s;
        lastError = error;
        lastErrorTime = clock.instant();
    }

    synchronized void deadLettered(String error) {
        deadLettered++;
        lastError = error;
        lastErrorTime = clock.instant();
    }

    synchronized SinkStatus status(long cursor, long lagVersions, double lagSeconds) {
        return new SinkStatus(sink, state, cursor, lagVersions, lagSeconds, lastError, lastErrorTime, deadLettered);
    }
}
