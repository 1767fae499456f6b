package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.jena.query.Query;
import org.apache.jena.query.QueryCancelledException;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.QueryParseException;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.util.Symbol;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.DamagedRecordException;
import org.fusekicdc.core.log.VersionGoneException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the answers of a dataset's live queries up to date, off the write path.
 * <p>
 * One thread follows the change log. At each step it opens a snapshot of the dataset at a
 * known version (without blocking writers), reads the patches since the last step, finds the
 * queries they can affect through a {@link PatternIndex}, re-evaluates only those, once per
 * distinct query, on that snapshot, and sends each subscriber the rows added and removed,
 * tagged with the snapshot's version. New subscriptions are answered on the same snapshot.
 * Commits never wait for any of this.
 * <p>
 * No evaluation on that thread may take longer than {@link LiveConfig#costlyThreshold()}: one
 * that does is cancelled, and the query is evaluated from then on by the {@link CostlyLane}'s
 * threads, on snapshots of their own, so a costly query delays only other costly queries.
 * Every subscription holds one place in the {@link ClientCounts} from the request until it ends,
 * whichever way it ends.
 */
public final class LiveQueryEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveQueryEngine.class);
    // Above this many changed quads in a step, re-running the affected queries is as cheap as delta rules.
    private static final int MAX_DELTA_CHANGES = 1_000;
    // Queries whose last evaluation took longer are evaluated after the others, within a budget per step.
    private static final long CHEAP_NANOS = 200_000;
    private static final long SLOW_BUDGET_NANOS = 10_000_000;
    // How long a subscribe request may wait for its first answer beyond the query timeout (the costly threads may be busy).
    private static final long ANSWER_GRACE_MILLIS = 10_000;
    private static final List<Symbol> UNION_DEFAULT = List.of(Symbol.create("http://jena.apache.org/TDB#unionDefaultGraph"),
                                                               Symbol.create("http://jena.apache.org/TDB2#unionDefaultGraph"));

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final LiveConfig config;
    private final Evaluator evaluator;
    private final CostlyLane costly;
    private final ClientCounts counts;
    private final Thread thread;
    private final Object signal = new Object();
    private final Runnable wakeUp = this::wake;
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final Set<CompletableFuture<Subscription>> unanswered = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicInteger costlyQueries = new AtomicInteger();
    private final Map<Long, Subscription> open = new ConcurrentHashMap<>();
    // Only touched by the engine thread.
    private final Map<String, LiveGroup> groups = new HashMap<>();
    private final PatternIndex<LiveGroup> index;
    // Affected queries left for a later step (see advance); each has stale set.
    private final Set<LiveGroup> stale = new HashSet<>();
    private volatile long version = -1;
    private volatile boolean stopping;
    private volatile long lastMatchNanos;

    /** A subscribe request: answered once, by the engine (a subscription or an error) or by whoever abandons it. */
    record Request(long id, Query query, LiveView view, String key, List<QueryPatterns.QuadPattern> patterns, String client, long resumeAfter,
                   CompletableFuture<Subscription> done) {}

    public LiveQueryEngine(CapturingDatasetGraph dsg, LiveConfig config) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.config = config;
        this.evaluator = new Evaluator(dsg, log, config);
        this.costly = new CostlyLane(dsg, this, evaluator, config);
        this.counts = new ClientCounts(config, dsg.datasetName());
        boolean union = UNION_DEFAULT.stream().anyMatch(s -> dsg.getContext().isTrue(s));
        this.index = new PatternIndex<>(union);
        this.thread = Thread.ofPlatform().daemon().name("cdc-live-" + dsg.datasetName()).unstarted(this::run);
        log.addPublishListener(wakeUp);
        thread.start();
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /**
     * Subscribe to a query, waiting for the first event. See {@link #subscribeAsync}.
     *
     * @throws LiveQueryException for a bad query, when a limit is reached, or when no answer came in time
     */
    public Subscription subscribe(String queryString, String client, long resumeAfter) {
        return subscribe(queryString, client, resumeAfter, LiveView.ALL);
    }

    /** Subscribe on the subscriber's {@code view} of the dataset, waiting for the first event. See {@link #subscribeAsync}. */
    public Subscription subscribe(String queryString, String client, long resumeAfter, LiveView view) {
        try {
            return subscribeAsync(queryString, client, resumeAfter, view).join();
        } catch (CompletionException ex) {
            if ( ex.getCause() instanceof RuntimeException re )
                throw re;
            throw ex;
        }
    }

    /**
     * Subscribe to a query. The subscription's first event is the whole answer ({@code Initial}),
     * or, when {@code resumeAfter} is a version whose later changes are still known, an update
     * with those changes (none if nothing changed). The future fails with a
     * {@link LiveQueryException} when evaluation fails or when there is no answer within the query
     * timeout and some seconds more ({@link LiveQueryException.Kind#BUSY}). A caller that no longer
     * wants the subscription cancels the future: the subscription is then never registered, and
     * an evaluation made for it alone is aborted.
     *
     * <p>
     * The query is evaluated on the subscriber's {@code view} of the dataset (graph-level access
     * control), and shared only among subscribers with the same view. A restricted view re-runs
     * its query on each change that can affect it (no delta rules: the changes themselves are not
     * filtered per view).
     *
     * @param client      who subscribes (user or address), for the per-client limit
     * @param resumeAfter the last version the client has applied, or -1 for a fresh subscription
     * @param view        the part of the dataset the subscriber may read ({@link LiveView#ALL} for all)
     * @throws LiveQueryException at once for a bad query or when a limit is reached
     */
    public CompletableFuture<Subscription> subscribeAsync(String queryString, String client, long resumeAfter, LiveView view) {
        Query query = parse(queryString);
        List<QueryPatterns.QuadPattern> patterns = QueryPatterns.of(Algebra.compile(query));
        if ( stopping )
            throw new LiveQueryException(LiveQueryException.Kind.BUSY, "The live query engine of dataset '" + dataset() + "' is stopping.");
        counts.take(client);
        CompletableFuture<Subscription> done = new CompletableFuture<>();
        unanswered.add(done);
        done.whenComplete((s, ex) -> {
            unanswered.remove(done);
            if ( ex != null ) {
                // Never handed out: its place goes back, and a costly first evaluation may have no one left to wait for it.
                counts.give(client);
                post(this::dropAbandoned);
            }
        });
        Request r = new Request(ids.incrementAndGet(), query, view, view.isAll() ? query.serialize() : view.key() + "\n" + query.serialize(),
                                patterns, client, resumeAfter, done);
        post(() -> join(r));
        CompletableFuture.delayedExecutor(config.queryTimeout().toMillis() + ANSWER_GRACE_MILLIS, TimeUnit.MILLISECONDS).execute(
            () -> done.completeExceptionally(new LiveQueryException(LiveQueryException.Kind.BUSY, "The live query engine of dataset '"
                                                                    + dataset() + "' did not answer in time; try again later.")));
        return done;
    }

    private static Query parse(String queryString) {
        Query q;
        try {
            q = QueryFactory.create(queryString);
        } catch (QueryParseException ex) {
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Bad query: " + ex.getMessage());
        }
        if ( !(q.isSelectType() || q.isAskType() || q.isConstructType()) )
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Live queries are SELECT, ASK or CONSTRUCT, not " + q.queryType());
        if ( q.hasDatasetDescription() )
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Live queries are evaluated on the whole dataset: FROM and FROM NAMED"
                                         + " are not supported. Use GRAPH <name> { ... } in the pattern instead.");
        return q;
    }

    /** Run {@code r} on the engine thread. */
    private void post(Runnable r) {
        requests.add(r);
        wake();
    }

    /** On the engine thread: answer a subscribe request, or park it until a costly query's first answer. */
    private void join(Request r) {
        if ( r.done().isDone() )
            return;
        LiveGroup g = groups.get(r.key());
        if ( g == null ) {
            g = new LiveGroup(r.key(), r.query(), r.patterns(), r.view().isAll() ? IncrementalPlan.of(r.query(), index.unionDefaultGraph()) : null,
                              config.historyDeltas(), r.view());
            long t0 = System.nanoTime();
            try {
                g.start(evaluateWhole(g, version));
            } catch (QueryCancelledException ex) {
                LOG.info("Dataset '{}': live query took over {} ms at version {}; evaluated by the costly-query threads from now on: {}",
                         dataset(), config.costlyThreshold().toMillis(), version, r.key());
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

    private void makeCostly(LiveGroup g) {
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

    /** On the engine thread: the subscription of {@code r} to {@code g}, with its first event, unless the request was abandoned meanwhile. */
    private void attach(LiveGroup g, Request r) {
        Subscription s = new Subscription(r.id(), r.client(), g, this, config.maxPendingRows());
        synchronized (g) {
            LiveResult current = g.resultAt(version);
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

    /** Called by the costly threads with the first answer of {@code g} (or why there is none). */
    void firstAnswer(LiveGroup g, LiveResult answer, LiveQueryException failure) {
        post(() -> {
            if ( g.isEnded() )
                return;
            List<Request> waiting = List.copyOf(g.waiters);
            g.waiters.clear();
            if ( failure != null ) {
                drop(g);
                waiting.forEach(r -> r.done().completeExceptionally(failure));
                return;
            }
            g.start(answer);
            index.add(g, g.patterns());
            // Changes after the answer's snapshot that this thread matched before the query was in the index.
            if ( version > answer.version() )
                costly.changed(g);
            waiting.forEach(r -> attach(g, r));
            if ( g.subscribers.isEmpty() )
                drop(g);
        });
    }

    /** On the engine thread: end the costly first evaluations no one waits for any more. */
    private void dropAbandoned() {
        List<LiveGroup> abandoned = groups.values().stream()
            .filter(g -> g.result() == null && g.waiters.stream().allMatch(r -> r.done().isDone())).toList();
        abandoned.forEach(this::drop);
    }

    /** On the engine thread: forget {@code g} and abort its evaluation. */
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
        post(() -> {
            LiveGroup g = s.group;
            open.remove(s.id());
            if ( g.subscribers.remove(s) ) {
                counts.give(s.client());
                if ( g.subscribers.isEmpty() )
                    drop(g);
            }
        });
    }

    /** Called by the costly threads: end {@code g}, telling its subscribers why. */
    void endQuery(LiveGroup g, String why) {
        post(() -> end(g, why));
    }

    /** On the engine thread (or once it has stopped): every subscriber of {@code g} gets a last error event, and its place back. */
    private void end(LiveGroup g, String why) {
        if ( g.isEnded() )
            return;
        long at = g.result() == null ? version : g.result().version();
        LOG.info("Dataset '{}': live query ended at version {} for {} subscriber(s): {} Query: {}", dataset(), at, g.subscribers.size(), why, g.key());
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

    /** Open subscriptions: those {@link #subscriptions()} lists. */
    public int subscriptionCount() {
        return open.size();
    }

    /** Places {@code client} holds against {@link LiveConfig#maxPerClient()}: its subscriptions and its requests not yet answered. */
    public int placesHeld(String client) {
        return counts.of(client);
    }

    /** Places held against {@link LiveConfig#maxSubscriptions()}: open subscriptions and requests not yet answered. */
    public int placesHeld() {
        return counts.total();
    }

    /** The open subscriptions, oldest first. */
    public List<Subscription> subscriptions() {
        return open.values().stream().sorted(Comparator.comparingLong(Subscription::id)).toList();
    }

    /**
     * Close subscription {@code id} for an administrator: its client gets a last {@code Error}
     * event saying so. False when there is no such open subscription.
     */
    public boolean close(long id) {
        Subscription s = open.get(id);
        if ( s == null || !s.endWith(new LiveEvent.Error(version, "The subscription was closed by an administrator.")) )
            return false;
        unsubscribe(s);
        return true;
    }

    /** Distinct queries evaluated by the costly-query threads. */
    public int costlyQueryCount() {
        return costlyQueries.get();
    }

    /** Distinct queries being kept up to date (or waiting for their first answer). */
    public int queryCount() {
        return groups.size();
    }

    /**
     * The version the answers reflect now. A costly query may lag while commits keep arriving
     * (see {@link #advance} and {@link CostlyLane}); its events carry the version its answer was computed at.
     */
    public long version() {
        return version;
    }

    /** The group's current answer, at the newest version it is known to hold for. */
    LiveResult answer(LiveGroup g) {
        return g.resultAt(version);
    }

    /** Time the last step spent finding affected queries, in nanoseconds. */
    public long lastMatchNanos() {
        return lastMatchNanos;
    }

    private void wake() {
        synchronized (signal) {
            signal.notifyAll();
        }
    }

    private void run() {
        LOG.info("Dataset '{}': live query engine started", dataset());
        try {
            while ( !stopping ) {
                synchronized (signal) {
                    // Idle until a commit is published or a request arrives (or a second passes).
                    if ( requests.isEmpty() && version >= 0 && log.publishedVersion() <= version && !stopping ) {
                        signal.wait(1000);
                        continue;
                    }
                }
                step();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            LOG.error("Dataset '{}': live query engine stopped at version {}: {}", dataset(), version, ex.toString(), ex);
            stopping = true;
            endAll("The live query engine stopped: " + ex);
        }
    }

    private void step() {
        long v = dsg.beginReadAtKnownVersion();
        try {
            if ( version >= 0 && v > version )
                advance(version, v);
            version = v;
            Runnable r;
            while ( !stopping && (r = requests.poll()) != null )
                r.run();
        } finally {
            dsg.end();
        }
    }

    /**
     * Bring every query affected by the patches in (from, to] up to version {@code to}. Costly
     * queries go to their own threads. Cheap queries and those followed by delta rules first;
     * the slower ones, least recently evaluated first, only for {@link #SLOW_BUDGET_NANOS} once
     * newer commits are waiting: the rest stay stale for the next step, so a few slower queries
     * cannot hold back the notifications of all the others.
     */
    private void advance(long from, long to) {
        long t0 = System.nanoTime();
        IncrementalPlan.ChangeCollector collector = new IncrementalPlan.ChangeCollector(MAX_DELTA_CHANGES);
        Set<LiveGroup> affected = AffectedQueries.find(log, index, groups.values(), from, to, collector, dataset());
        lastMatchNanos = System.nanoTime() - t0;
        log.observer().liveMatched(lastMatchNanos);
        affected.addAll(stale);
        stale.clear();
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
                stale.add(g);
                continue;
            }
            notified |= refresh(g, to, changes);
        }
        if ( notified )
            notifiedLatency(to);
        LOG.debug("Dataset '{}': live queries at version {}: {} of {} affected, {} deferred", dataset(), to, affected.size(), groups.size(), stale.size());
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
                applied = DeltaAnswers.apply(g, g.plan.delta(dsg, changes, g.result().vars(), additions), to, evaluator, config.maxResultRows(), dataset());
            }
            if ( applied == null ) {
                LiveResult next = evaluateWhole(g, to);
                applied = new DeltaAnswers.Applied(next, next.since(g.result()));
            }
        } catch (QueryCancelledException ex) {
            LOG.info("Dataset '{}': live query took over {} ms at version {}; evaluated by the costly-query threads from now on: {}",
                     dataset(), config.costlyThreshold().toMillis(), to, g.key());
            makeCostly(g);
            costly.changed(g);
            return false;
        } catch (LiveQueryException ex) {
            end(g, ex.getMessage());
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

    /** Called by the costly threads with a new answer of {@code g}: its subscribers get the change. */
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

    /**
     * The answer of the group's query at {@code at}, evaluated whole within the costly threshold
     * (ten times that for a query whose last evaluation took under a tenth of it, so that a pause
     * of the whole process, for garbage collection or a starved CPU, does not move a cheap query);
     * for a DISTINCT plan, its counts too.
     */
    private LiveResult evaluateWhole(LiveGroup g, long at) {
        long threshold = config.costlyThreshold().toMillis();
        boolean cheap = g.result() != null && g.costNanos < config.costlyThreshold().toNanos() / 10;
        long budget = cheap ? 10 * threshold : threshold;
        if ( g.plan != null && g.plan.distinct() ) {
            try {
                LiveResult all = evaluator.evaluate(g.plan.whole(), at, budget, g);
                g.counts = new HashMap<>(all.rows());
                Map<Binding, Integer> rows = new HashMap<>();
                all.rows().keySet().forEach(b -> rows.put(b, 1));
                return new LiveResult(at, all.vars(), rows, null);
            } catch (LiveQueryException ex) {
                // Too many solutions to count (though maybe not too many distinct rows): re-run this query from now on.
                g.plan = null;
                g.counts = null;
            }
        }
        return evaluator.evaluate(g.query(), at, budget, g);
    }

    void notifiedLatency(long v) {
        try {
            log.observer().liveNotified(v, Math.max(0, System.currentTimeMillis() - log.read(v).meta().timestamp()));
        } catch (VersionGoneException | DamagedRecordException ex) {
            // Removed by retention meanwhile, or unreadable: no latency to report.
        }
    }

    /** Every subscriber gets a last error event and every place is given back; nothing is answered any more. */
    private void endAll(String why) {
        List.copyOf(groups.values()).forEach(g -> end(g, why));
        List.copyOf(unanswered).forEach(f -> f.completeExceptionally(new LiveQueryException(LiveQueryException.Kind.BUSY, why)));
    }

    @Override
    public void close() {
        log.removePublishListener(wakeUp);
        stopping = true;
        wake();
        try {
            thread.join(10_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        // The engine thread has ended: its state is this thread's now. Ending the queries aborts their evaluations.
        endAll("The server is stopping.");
        costly.close();
        LOG.info("Dataset '{}': live query engine stopped at version {}", dataset(), version);
    }
}
