package org.fusekicdc.live;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.query.QueryCancelledException;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The threads that evaluate costly live queries, so that the engine's own thread, which keeps
 * every other query up to date, never waits for one.
 * <p>
 * A costly query is re-evaluated whole, on a snapshot of its own at a known version, and its
 * subscribers get the difference tagged with that version. One evaluation of a query at a time;
 * changes that arrive meanwhile are taken up by one more evaluation afterwards (queued behind
 * the other costly queries, so each gets its turn). An evaluation that exceeds
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

    CostlyLane(CapturingDatasetGraph dsg, LiveQueryEngine engine, Evaluator evaluator, LiveConfig config) {
        this.dsg = dsg;
        this.engine = engine;
        this.evaluator = evaluator;
        this.budgetMillis = config.queryTimeout().toMillis();
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
        try {
            // Changes are only ever marked after their version is published, so this snapshot holds them all.
            if ( !g.isEnded() && v > g.result().version() ) {
                LiveResult next = evaluator.evaluate(g.query(), v, budgetMillis, g);
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
        synchronized (g) {
            g.queued = g.dirty && !g.isEnded();
            if ( !g.queued ) {
                g.stale = false;
                return;
            }
        }
        threads.execute(() -> refresh(g));
    }

    /** Stop once the evaluations under way end (the engine aborts them); never interrupted, as they may be reading the log. */
    @Override
    public void close() {
        threads.shutdown();
        try {
            threads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
