package org.fusekicdc.fuseki.rsp;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StreamEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A costly continuous query on a thread of its own: its engine ({@link StreamEngine#isolate})
 * reads the change log at its own pace, so its slow steps delay no other query. Between the
 * dataset's feeder and this query there is no queue in memory: the change log on disk is the
 * backlog, and this thread reads the next commits once it has evaluated the last ones. How far
 * it may fall behind is bounded ({@code cdc:streamMaxLagVersions}): past it the query is
 * stopped, its listener told why.
 */
final class IsolatedQuery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IsolatedQuery.class);
    private static final int BATCH = 100;

    private final String dataset;
    private final String name;
    private final StreamEngine engine;
    private final ChangeLog log;
    private final InstantSource clock;
    private final long maxLagVersions;
    private final StepListener listener;
    private final Consumer<IsolatedQuery> onEnd;
    private final List<Runnable> produced = new ArrayList<>();
    private final FeedWait wait;
    private final Runnable wakeUp;
    private final Thread thread;
    private volatile boolean stopping;
    private volatile List<QueryStatus> status;

    /**
     * @param engine   the query's own engine, at the version and time where the shared one left it
     * @param listener the query's listener, told when the query is stopped here
     * @param onEnd    called on this thread when it ends
     */
    IsolatedQuery(String dataset, String name, StreamEngine engine, ChangeLog log, InstantSource clock, Duration tick, long maxLagVersions,
                  StepListener listener, Consumer<IsolatedQuery> onEnd) {
        this.dataset = dataset;
        this.name = name;
        this.engine = engine;
        this.log = log;
        this.clock = clock;
        this.wait = new FeedWait(log, tick);
        this.wakeUp = wait::wake;
        this.maxLagVersions = maxLagVersions;
        this.listener = listener;
        this.onEnd = onEnd;
        this.status = engine.status();
        this.thread = Thread.ofPlatform().daemon().name("cdc-rsp-" + dataset + "-" + name).unstarted(this::run);
    }

    String name() {
        return name;
    }

    /** Called on the engine's thread, inside an engine call: the step is delivered once the call has returned. */
    void produced(Runnable delivery) {
        produced.add(delivery);
    }

    void start() {
        log.addPublishListener(wakeUp);
        thread.start();
    }

    /** The query's status after the last engine call (never waits for a step being evaluated). */
    List<QueryStatus> status() {
        return status;
    }

    /** The version the query has been fed up to. */
    long version() {
        return engine.version();
    }

    private void run() {
        try {
            while ( !stopping ) {
                if ( tooFarBehind() )
                    return;
                List<LogRecord> records = log.readAfter(engine.version(), BATCH);
                for ( LogRecord r : records ) {
                    if ( stopping || tooFarBehind() )
                        return;
                    engine.accept(ContinuousQueries.commitOf(r));
                    if ( ended() )
                        return;
                }
                if ( !records.isEmpty() )
                    continue;
                java.time.Instant now = ContinuousQueries.clockNow(log, clock, engine.version());
                if ( now == null )
                    continue;   // published since the read: fed first
                engine.advanceTo(now);
                if ( ended() )
                    return;
                wait.await(engine.nextClose(), () -> !stopping && log.publishedVersion() <= engine.version());
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            fail("continuous query <" + name + "> on dataset " + dataset + " stopped at version " + engine.version() + ": " + ex);
        } finally {
            log.removePublishListener(wakeUp);
            engine.close();
            onEnd.accept(this);
        }
    }

    /** Whether the query has fallen further behind the log than allowed; if so it is stopped. */
    private boolean tooFarBehind() {
        long behind = log.publishedVersion() - engine.version();
        if ( behind <= maxLagVersions )
            return false;
        fail("continuous query <" + name + "> on dataset " + dataset + " is " + behind + " versions behind the change log (at version "
             + engine.version() + "), more than cdc:streamMaxLagVersions (" + maxLagVersions + "): its steps take longer than the"
             + " commits they follow arrive. Make the query cheaper (a smaller window, fewer joins with the dataset) or raise cdc:streamMaxLagVersions");
        return true;
    }

    /** Deliver what the last engine call produced; true when the query has ended (it failed, and the engine let it go). */
    private boolean ended() {
        for ( Runnable d : produced )
            d.run();
        produced.clear();
        status = engine.status();
        return status.isEmpty();
    }

    private void fail(String message) {
        LOG.warn("Dataset '{}': {}", dataset, message);
        try {
            listener.failed(name, new ContinuousQueryException(message));
        } catch (RuntimeException ex) {
            LOG.warn("Dataset '{}': the listener of continuous query {} failed: {}", dataset, name, ex.toString());
        }
    }

    /** Stop after the step being evaluated, without waiting. */
    void stop() {
        stopping = true;
        wait.wake();
    }

    @Override
    public void close() {
        stop();
        if ( thread.isAlive() && thread != Thread.currentThread() ) {
            try {
                thread.join(10_000);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
