package org.fusekicdc.live;

import java.time.InstantSource;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.query.QueryCancelledException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.time.ClockDeadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that evaluate costly live queries, so that the engine's own thread, which keeps
 * every other query up to date, never waits for one.
 * <p>
 * A costly query is re-evaluated whole, on a snapshot of its own at a known version, and its
 * subscribers get the difference tagged with that version. One evaluation of a query at a time;
 * changes that arrive meanwhile are taken up by one more evaluation afterwards (queued behind
 * the other costly queries, so each gets its turn). After each evaluation a thread rests, so that
 * it evaluates at most {@link LiveConfig#costlyBusyPercent()} of the time: costly queries take
 * at most that share of a core per thread, and of the garbage collector's work, from the rest of
 * the server. A query whose evaluation here takes less than half the costly threshold goes back
 * to the engine's thread (its slow evaluation was a pause, or its data shrank). An evaluation that exceeds
 * {@link LiveConfig#queryTimeout()} or {@link LiveConfig#maxResultRows()} ends the query: its
 * subscribers get an error naming the limit.
 */
final class CostlyLane implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CostlyLane.class);

    private final CapturingDatasetGraph dsg;
    private final LiveQueryEngine engine;
    private final Evaluator evaluator;
    private final long budgetMillis;
    private final ExecutorService threads;
    private final int busyPercent;
    private final long cheapNanos;
    private final InstantSource clock;
    private final Object rest = new Object();
    private volatile boolean closing;

    CostlyLane(CapturingDatasetGraph dsg, LiveQueryEngine engine, Evaluator evaluator, LiveConfig config) {
        this.dsg = dsg;
        this.engine = engine;
        this.evaluator = evaluator;
        this.budgetMillis = config.queryTimeout().toMillis();
        this.busyPercent = config.costlyBusyPercent();
        this.cheapNanos = config.costlyThreshold().toNanos() / 2;
        this.clock = dsg.changeLog().config().clock();
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(config.costlyThreads(), r -> Thread.ofPlatform().daemon()
            .name("cdc-live-costly-" + dsg.datasetName() + "-" + n.incrementAndGet()).unstarted(r));
    }

    /** Evaluate the first answer of {@code g}; the engine is told the outcome ({@link LiveQueryEngine#firstAnswer}). */
    void first(LiveGroup g) {
        threads.execute(() -> {
            if ( g.isEnded() )
                return;
            long v = dsg.beginReadAtKnownVersion();
            long t0 = System.nanoTime();
            try {
                engine.firstAnswer(g, evaluator.evaluate(g.query(), v, budgetMillis, g), null);
            } catch (QueryCancelledException ex) {
                if ( !g.isEnded() )
                    engine.firstAnswer(g, null, evaluator.tooSlow());
            } catch (LiveQueryException ex) {
                engine.firstAnswer(g, null, ex);
            } catch (RuntimeException ex) {
                LOG.warn("Dataset '{}': live query failed at version {}: {}: {}", dsg.datasetName(), v, ex.toString(), g.key(), ex);
                engine.firstAnswer(g, null, new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "The query failed: " + ex.getMessage()));
            } finally {
                dsg.end();
            }
            restAfter(System.nanoTime() - t0);
        });
    }

    /** {@code g} may have changed: bring it up to date after any evaluation already under way. */
    void changed(LiveGroup g) {
        synchronized (g) {
            g.stale = true;
            g.dirty = true;
            if ( g.queued || g.isEnded() )
                return;
            g.queued = true;
        }
        threads.execute(() -> refresh(g));
    }

    private void refresh(LiveGroup g) {
        synchronized (g) {
            g.dirty = false;
        }
        long v = dsg.beginReadAtKnownVersion();
        long t0 = System.nanoTime();
        boolean evaluated = false;
        try {
            // Changes are only ever marked after their version is published, so this snapshot holds them all.
            if ( !g.isEnded() && v > g.result().version() ) {
                LiveResult next = evaluator.evaluate(g.query(), v, budgetMillis, g);
                evaluated = true;
                engine.notify(g, next);
            }
        } catch (QueryCancelledException ex) {
            if ( !g.isEnded() )
                engine.endQuery(g, evaluator.tooSlow().getMessage());
        } catch (LiveQueryException ex) {
            engine.endQuery(g, ex.getMessage());
        } catch (RuntimeException ex) {
            LOG.warn("Dataset '{}': live query failed at version {}: {}: {}", dsg.datasetName(), v, ex.toString(), g.key(), ex);
            engine.endQuery(g, "The query failed: " + ex.getMessage());
        } finally {
            dsg.end();
            g.costNanos = System.nanoTime() - t0;
        }
        restAfter(g.costNanos);
        synchronized (g) {
            g.queued = g.dirty && !g.isEnded();
            if ( !g.queued ) {
                g.stale = false;
                if ( evaluated && g.costNanos < cheapNanos ) {
                    engine.costly(g, false);
                    LOG.debug("Dataset '{}': live query evaluated in {} ms at version {}; back on the engine's thread: {}", dsg.datasetName(),
                              g.costNanos / 1_000_000, v, g.key());
                }
                return;
            }
        }
        threads.execute(() -> refresh(g));
    }

    /** Keep this thread's share of busy time within the limit: rest, by the log's clock, for the rest of the share. */
    private void restAfter(long busyNanos) {
        long restMillis = busyNanos * (100 - busyPercent) / busyPercent / 1_000_000;
        long until = clock.millis() + restMillis;
        synchronized (rest) {
            long left;
            while ( !closing && (left = ClockDeadline.nextWait(clock, until)) > 0 ) {
                try {
                    rest.wait(left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** Stop once the evaluations under way end (the engine aborts them); never interrupted, as they may be reading the log. */
    @Override
    public void close() {
        closing = true;
        synchronized (rest) {
            rest.notifyAll();
        }
        threads.shutdown();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
