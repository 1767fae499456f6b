package org.fusekicdc.live;

import java.time.InstantSource;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.query.QueryCancelledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The distinct queries of a {@link LiveQueryEngine} and their subscribers. A subscribe request
 * joins the group of its query (evaluated first when new, or parked until a costly query's first
 * answer); a subscription leaves it; a group without subscribers is dropped, and an ended group
 * tells each subscriber why. Touched only by the engine thread (or once it has stopped), except
 * the counters and the open subscriptions, which are read from anywhere.
 */
final class QueryRegistry {
    private static final Logger LOG = LoggerFactory.getLogger(QueryRegistry.class);

    private final LiveQueryEngine engine;
    private final LiveConfig config;
    private final Evaluator evaluator;
    private final CostlyLane costly;
    private final ClientCounts counts;
    private final InstantSource clock;
    private final AtomicInteger costlyQueries = new AtomicInteger();
    private final Map<Long, Subscription> open = new ConcurrentHashMap<>();
    final Map<String, LiveGroup> groups = new HashMap<>();
    final PatternIndex<LiveGroup> index;
    // Affected queries left for a later step (see QueryRefresher#advance); each has stale set.
    final Set<LiveGroup> stale = new HashSet<>();

    QueryRegistry(LiveQueryEngine engine, LiveConfig config, Evaluator evaluator, CostlyLane costly, ClientCounts counts, InstantSource clock,
                  boolean unionDefaultGraph) {
        this.engine = engine;
        this.config = config;
        this.evaluator = evaluator;
        this.costly = costly;
        this.counts = counts;
        this.clock = clock;
        this.index = new PatternIndex<>(unionDefaultGraph);
    }

    /** Answer a subscribe request, or park it until a costly query's first answer. */
    void join(SubscribeRequest r) {
        if ( r.done().isDone() )
            return;
        long version = engine.version();
        LiveGroup g = groups.get(r.key());
        if ( g == null ) {
            g = new LiveGroup(r.key(), r.query(), r.patterns(), r.view().isAll() ? IncrementalPlan.of(r.query(), index.unionDefaultGraph()) : null,
                              config.historyDeltas(), r.view());
            long t0 = System.nanoTime();
            try {
                g.start(evaluator.evaluateWhole(g, version));
            } catch (QueryCancelledException ex) {
                LOG.info("Dataset '{}': live query took over {} ms at version {}; evaluated by the costly-query threads from now on: {}",
                         engine.dataset(), config.costlyThreshold().toMillis(), version, r.key());
                makeCostly(g);
                g.waiters.add(r);
                groups.put(r.key(), g);
                costly.first(g);
                return;
            } catch (LiveQueryException ex) {
                r.done().completeExceptionally(ex);
                return;
            }
            g.costNanos = System.nanoTime() - t0;
            groups.put(r.key(), g);
            index.add(g, g.patterns());
        }
        if ( g.result() == null )
            g.waiters.add(r);
        else
            attach(g, r);
    }

    void makeCostly(LiveGroup g) {
        costly(g, true);
        g.plan = null;
        g.counts = null;
    }

    /** Mark {@code g} costly or not (unless it was dropped), keeping {@link #costlyQueryCount()}. */
    void costly(LiveGroup g, boolean costly) {
        synchronized (g) {
            if ( g.costly == costly || g.isEnded() )
                return;
            g.costly = costly;
            costlyQueries.addAndGet(costly ? 1 : -1);
        }
    }

    /** The subscription of {@code r} to {@code g}, with its first event, unless the request was abandoned meanwhile. */
    private void attach(LiveGroup g, SubscribeRequest r) {
        Subscription s = new Subscription(r.id(), r.client(), g, engine, config.maxPendingRows(), clock.instant());
        synchronized (g) {
            LiveResult current = g.resultAt(engine.version());
            if ( r.resumeAfter() >= 0 && g.canResumeAfter(r.resumeAfter(), current.version()) ) {
                LiveDelta d = g.changesAfter(r.resumeAfter());
                s.offer(new LiveEvent.Update(d != null ? d : new LiveDelta(current.version(), List.of(), List.of(), null)));
            } else
                s.offer(new LiveEvent.Initial(current, r.resumeAfter() >= 0));
            g.subscribers.add(s);
        }
        open.put(s.id(), s);
        if ( !r.done().complete(s) ) {
            // Abandoned (timed out, cancelled, server stopping): its place was given back then.
            g.subscribers.remove(s);
            open.remove(s.id());
            s.end();
            if ( g.subscribers.isEmpty() )
                drop(g);
        }
    }

    /** The first answer of costly query {@code g} (or why there is none): its waiting requests are answered. */
    void firstAnswer(LiveGroup g, LiveResult answer, LiveQueryException failure) {
        if ( g.isEnded() )
            return;
        List<SubscribeRequest> waiting = List.copyOf(g.waiters);
        g.waiters.clear();
        if ( failure != null ) {
            drop(g);
            waiting.forEach(r -> r.done().completeExceptionally(failure));
            return;
        }
        g.start(answer);
        index.add(g, g.patterns());
        // Changes after the answer's snapshot that the engine matched before the query was in the index.
        if ( engine.version() > answer.version() )
            costly.changed(g);
        waiting.forEach(r -> attach(g, r));
        if ( g.subscribers.isEmpty() )
            drop(g);
    }

    /** End the costly first evaluations no one waits for any more. */
    void dropAbandoned() {
        List<LiveGroup> abandoned = groups.values().stream()
            .filter(g -> g.result() == null && g.waiters.stream().allMatch(r -> r.done().isDone())).toList();
        abandoned.forEach(this::drop);
    }

    /** Forget {@code g} and abort its evaluation. */
    private void drop(LiveGroup g) {
        synchronized (g) {
            if ( !g.end() )
                return;
            if ( g.costly )
                costlyQueries.decrementAndGet();
        }
        if ( groups.get(g.key()) == g )
            groups.remove(g.key());
        stale.remove(g);
        if ( g.result() != null )
            index.remove(g, g.patterns());
    }

    void unsubscribe(Subscription s) {
        LiveGroup g = s.group;
        open.remove(s.id());
        if ( g.subscribers.remove(s) ) {
            counts.give(s.client());
            if ( g.subscribers.isEmpty() )
                drop(g);
        }
    }

    /** Every subscriber of {@code g} gets a last error event, and its place back. */
    void end(LiveGroup g, String why) {
        if ( g.isEnded() )
            return;
        long at = g.result() == null ? engine.version() : g.result().version();
        LOG.info("Dataset '{}': live query ended at version {} for {} subscriber(s): {} Query: {}", engine.dataset(), at, g.subscribers.size(), why, g.key());
        // Under the group's lock: no update of the costly threads can follow the error.
        synchronized (g) {
            List<Subscription> ended = List.copyOf(g.subscribers);
            for ( Subscription s : ended ) {
                open.remove(s.id());
                if ( g.subscribers.remove(s) )
                    counts.give(s.client());
            }
            drop(g);
            // Counted out and dropped before the clients can see why.
            ended.forEach(s -> s.endWith(new LiveEvent.Error(at, why)));
        }
    }

    void endAll(String why) {
        List.copyOf(groups.values()).forEach(g -> end(g, why));
    }

    Subscription subscription(long id) {
        return open.get(id);
    }

    int subscriptionCount() {
        return open.size();
    }

    /** The open subscriptions, oldest first. */
    List<Subscription> subscriptions() {
        return open.values().stream().sorted(Comparator.comparingLong(Subscription::id)).toList();
    }

    int costlyQueryCount() {
        return costlyQueries.get();
    }

    int queryCount() {
        return groups.size();
    }
}
