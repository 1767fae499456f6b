package org.fusekicdc.live;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

import org.apache.jena.query.QueryCancelledException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A step of a {@link LiveQueryEngine}: finds the queries the patches since the last step can
 * affect, brings each up to the step's version (by delta rules where it can, else by evaluating
 * it again), and sends its subscribers the rows added and removed. Runs on the engine thread,
 * within the snapshot the engine has open; {@link #notify} is also called by the costly threads.
 */
final class QueryRefresher {
    private static final Logger LOG = LoggerFactory.getLogger(QueryRefresher.class);
    // Above this many changed quads in a step, re-running the affected queries is as cheap as delta rules.
    private static final int MAX_DELTA_CHANGES = 1_000;
    // Queries whose last evaluation took longer are evaluated after the others, within a budget per step.
    private static final long CHEAP_NANOS = 200_000;
    private static final long SLOW_BUDGET_NANOS = 10_000_000;

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final LiveConfig config;
    private final Evaluator evaluator;
    private final CostlyLane costly;
    private final QueryRegistry registry;
    private final InstantSource clock;
    private volatile long lastMatchNanos;

    QueryRefresher(CapturingDatasetGraph dsg, LiveConfig config, Evaluator evaluator, CostlyLane costly, QueryRegistry registry) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.config = config;
        this.evaluator = evaluator;
        this.costly = costly;
        this.registry = registry;
        this.clock = log.config().clock();
    }

    /** Time the last step spent finding affected queries, in nanoseconds. */
    long lastMatchNanos() {
        return lastMatchNanos;
    }

    /**
     * Bring every query affected by the patches in (from, to] up to version {@code to}. Costly
     * queries go to their own threads. Cheap queries and those followed by delta rules first;
     * the slower ones, least recently evaluated first, only for {@link #SLOW_BUDGET_NANOS} once
     * newer commits are waiting: the rest stay stale for the next step, so a few slower queries
     * cannot hold back the notifications of all the others.
     */
    void advance(long from, long to) {
        String dataset = dsg.datasetName();
        long t0 = System.nanoTime();
        IncrementalPlan.ChangeCollector collector = new IncrementalPlan.ChangeCollector(MAX_DELTA_CHANGES);
        Set<LiveGroup> affected = AffectedQueries.find(log, registry.index, registry.groups.values(), from, to, collector, dataset);
        lastMatchNanos = System.nanoTime() - t0;
        log.observer().liveMatched(lastMatchNanos);
        affected.addAll(registry.stale);
        registry.stale.clear();
        IncrementalPlan.StepChanges changes = affected.stream().anyMatch(g -> g.plan != null) ? collector.changes(dsg) : null;
        List<LiveGroup> slow = new ArrayList<>();
        boolean notified = false;
        for ( LiveGroup g : affected ) {
            // Delta rules cost what the change costs, whatever a whole evaluation of the query took.
            boolean byDelta = g.plan != null && changes != null && !g.stale;
            if ( g.costly )
                costly.changed(g);
            else if ( g.costNanos > CHEAP_NANOS && !byDelta )
                slow.add(g);
            else
                notified |= refresh(g, to, changes);
        }
        slow.sort(Comparator.comparingLong(g -> g.evaluatedAt));
        long deadline = System.nanoTime() + SLOW_BUDGET_NANOS;
        for ( int i = 0 ; i < slow.size() ; i++ ) {
            LiveGroup g = slow.get(i);
            if ( i > 0 && System.nanoTime() > deadline && log.publishedVersion() > to ) {
                g.stale = true;
                registry.stale.add(g);
                continue;
            }
            notified |= refresh(g, to, changes);
        }
        if ( notified )
            notifiedLatency(to);
        LOG.debug("Dataset '{}': live queries at version {}: {} of {} affected, {} deferred", dataset, to, affected.size(), registry.groups.size(),
                  registry.stale.size());
    }

    /**
     * Bring one query to version {@code to}, by delta rules when it has a plan and its answer is
     * current at the step's start, else by re-running it, and notify its subscribers; true when
     * its answer changed. A re-run that takes longer than the costly threshold is cancelled and
     * handed to the costly threads.
     */
    private boolean refresh(LiveGroup g, long to, IncrementalPlan.StepChanges changes) {
        // Back from the costly threads with an answer newer than this step: nothing to do.
        if ( g.result().version() >= to )
            return false;
        DeltaAnswers.Applied applied = null;
        long t0 = System.nanoTime();
        try {
            if ( g.plan != null && changes != null && !g.stale ) {
                // A full LIMIT answer keeps its rows whatever is added.
                boolean additions = g.plan.limit() < 0 || g.rowCount < g.plan.limit();
                applied = DeltaAnswers.apply(g, g.plan.delta(dsg, changes, g.result().vars(), additions), to, evaluator, config.maxResultRows(),
                                             dsg.datasetName());
            }
            if ( applied == null ) {
                LiveResult next = evaluator.evaluateWhole(g, to);
                applied = new DeltaAnswers.Applied(next, next.since(g.result()));
            }
        } catch (QueryCancelledException ex) {
            LOG.info("Dataset '{}': live query took over {} ms at version {}; evaluated by the costly-query threads from now on: {}",
                     dsg.datasetName(), config.costlyThreshold().toMillis(), to, g.key());
            registry.makeCostly(g);
            costly.changed(g);
            return false;
        } catch (LiveQueryException ex) {
            registry.end(g, ex.getMessage());
            return false;
        } finally {
            g.costNanos = System.nanoTime() - t0;
            g.evaluatedAt = to;
        }
        LiveDelta delta = applied.delta();
        if ( delta != null )
            g.changed(applied.result(), delta);
        g.stale = false;
        if ( delta == null )
            return false;
        LiveEvent.Update u = new LiveEvent.Update(delta);
        g.subscribers.forEach(s -> s.offer(u));
        return true;
    }

    /** A new answer of {@code g} from the costly threads: its subscribers get the change. */
    void notify(LiveGroup g, LiveResult next) {
        synchronized (g) {
            LiveDelta delta = next.since(g.result());
            if ( g.isEnded() || delta == null )
                return;
            g.changed(next, delta);
            g.evaluatedAt = next.version();
            LiveEvent.Update u = new LiveEvent.Update(delta);
            g.subscribers.forEach(s -> s.offer(u));
        }
        notifiedLatency(next.version());
    }

    private void notifiedLatency(long v) {
        try {
            log.observer().liveNotified(v, Math.max(0, clock.millis() - log.read(v).meta().timestamp()));
        } catch (VersionGoneException | DamagedRecordException ex) {
            // Removed by retention meanwhile, or unreadable: no latency to report.
        }
    }
}
