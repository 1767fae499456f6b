package org.fusekicdc.live;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryCancelledException;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.QueryParseException;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.apache.jena.sparql.util.Symbol;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.LogRecord;
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
 */
public final class LiveQueryEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LiveQueryEngine.class);
    private static final int ALL_AFFECTED_AFTER_CHANGES = 200_000;
    // Above this many changed quads in a step, re-running the affected queries is as cheap as delta rules.
    private static final int MAX_DELTA_CHANGES = 1_000;
    // Queries whose last evaluation took longer are evaluated after the others, within a budget per step.
    private static final long CHEAP_NANOS = 200_000;
    private static final long SLOW_BUDGET_NANOS = 10_000_000;
    private static final List<Var> TRIPLE_VARS = List.of(Var.alloc("subject"), Var.alloc("predicate"), Var.alloc("object"));
    private static final List<Symbol> UNION_DEFAULT = List.of(Symbol.create("http://jena.apache.org/TDB#unionDefaultGraph"),
                                                               Symbol.create("http://jena.apache.org/TDB2#unionDefaultGraph"));

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final LiveConfig config;
    private final Thread thread;
    private final Object signal = new Object();
    private final Runnable wakeUp = this::wake;
    private final ConcurrentLinkedQueue<Runnable> requests = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicInteger> perClient = new ConcurrentHashMap<>();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, Subscription> open = new ConcurrentHashMap<>();
    // Only touched by the engine thread.
    private final Map<String, LiveGroup> groups = new HashMap<>();
    private final PatternIndex<LiveGroup> index;
    // Affected queries left for a later step (see advance); each has stale set.
    private final Set<LiveGroup> stale = new HashSet<>();
    private volatile long version = -1;
    private volatile boolean stopping;
    private volatile long lastMatchNanos;

    public LiveQueryEngine(CapturingDatasetGraph dsg, LiveConfig config) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.config = config;
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
     * Subscribe to a query. The subscription's first event is the whole answer ({@code Initial}),
     * or, when {@code resumeAfter} is a version whose later changes are still known, an update
     * with those changes (none if nothing changed).
     *
     * @param client      who subscribes (user or address), for the per-client limit
     * @param resumeAfter the last version the client has applied, or -1 for a fresh subscription
     * @throws LiveQueryException for a bad query or when a limit is reached
     */
    public Subscription subscribe(String queryString, String client, long resumeAfter) {
        return subscribe(queryString, client, resumeAfter, LiveView.ALL);
    }

    /**
     * Subscribe to a query evaluated on the subscriber's {@code view} of the dataset. A restricted
     * view re-runs its query on each change that can affect it (no delta rules: the changes
     * themselves are not filtered per view).
     */
    public Subscription subscribe(String queryString, String client, long resumeAfter, LiveView view) {
        Query query = parse(queryString);
        List<QueryPatterns.QuadPattern> patterns = QueryPatterns.of(Algebra.compile(query));
        String key = view.isAll() ? query.serialize() : view.key() + "\n" + query.serialize();
        AtomicInteger mine = perClient.computeIfAbsent(client, c -> new AtomicInteger());
        if ( mine.incrementAndGet() > config.maxPerClient() ) {
            mine.decrementAndGet();
            throw new LiveQueryException(LiveQueryException.Kind.TOO_MANY_FOR_CLIENT, "Client " + client + " already holds "
                                         + config.maxPerClient() + " live subscriptions, the most allowed per client; close some first.");
        }
        if ( subscriptions.incrementAndGet() > config.maxSubscriptions() ) {
            subscriptions.decrementAndGet();
            mine.decrementAndGet();
            throw new LiveQueryException(LiveQueryException.Kind.TOO_MANY, "The server holds " + config.maxSubscriptions()
                                         + " live subscriptions on dataset '" + dataset() + "', the most allowed; try again later.");
        }
        long id = ids.incrementAndGet();
        Subscription[] holder = new Subscription[1];
        java.util.concurrent.CompletableFuture<Subscription> done = new java.util.concurrent.CompletableFuture<>();
        requests.add(() -> {
            try {
                LiveGroup g = groups.get(key);
                if ( g == null ) {
                    long t0 = System.nanoTime();
                    g = new LiveGroup(key, query, patterns, view.isAll() ? IncrementalPlan.of(query, index.unionDefaultGraph()) : null,
                                      config.historyDeltas(), view);
                    g.start(evaluateWhole(g, version));
                    g.costNanos = System.nanoTime() - t0;
                    groups.put(key, g);
                    index.add(g, patterns);
                }
                Subscription s = new Subscription(id, client, g, this, config.maxPendingRows());
                holder[0] = s;
                g.subscribers.add(s);
                open.put(id, s);
                LiveResult current = g.resultAt(version);
                if ( resumeAfter >= 0 && g.canResumeAfter(resumeAfter, current.version()) ) {
                    LiveDelta d = g.changesAfter(resumeAfter);
                    s.offer(new LiveEvent.Update(d != null ? d : new LiveDelta(current.version(), List.of(), List.of(), null)));
                } else
                    s.offer(new LiveEvent.Initial(current, resumeAfter >= 0));
                done.complete(s);
            } catch (RuntimeException ex) {
                done.completeExceptionally(ex);
            }
        });
        wake();
        try {
            return done.get(config.queryTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException ex) {
            released(client);
            if ( ex.getCause() instanceof RuntimeException re )
                throw re;
            throw new IllegalStateException(ex.getCause());
        } catch (java.util.concurrent.TimeoutException ex) {
            released(client);
            throw new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "The live query engine of dataset '" + dataset()
                                         + "' did not answer in time; try again later.");
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            released(client);
            throw new IllegalStateException(ex);
        }
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
        return q;
    }

    void unsubscribe(Subscription s) {
        requests.add(() -> {
            LiveGroup g = s.group;
            open.remove(s.id());
            if ( g.subscribers.remove(s) ) {
                released(s.client());
                if ( g.subscribers.isEmpty() ) {
                    groups.remove(g.key());
                    stale.remove(g);
                    index.remove(g, g.patterns());
                }
            }
        });
        wake();
    }

    private void released(String client) {
        subscriptions.decrementAndGet();
        AtomicInteger n = perClient.get(client);
        if ( n != null )
            n.decrementAndGet();
    }

    public int subscriptionCount() {
        return subscriptions.get();
    }

    /** The open subscriptions, oldest first. */
    public List<Subscription> subscriptions() {
        return open.values().stream().sorted(java.util.Comparator.comparingLong(Subscription::id)).toList();
    }

    /**
     * Close subscription {@code id} for an administrator: its client gets a last {@code Error}
     * event saying so. False when there is no such open subscription.
     */
    public boolean close(long id) {
        Subscription s = open.get(id);
        if ( s == null || s.isClosed() )
            return false;
        s.offer(new LiveEvent.Error(version, "The subscription was closed by an administrator."));
        s.close();
        return true;
    }

    /** Distinct queries being kept up to date. */
    public int queryCount() {
        return groups.size();
    }

    /**
     * The version the answers reflect now. A costly query may lag while commits keep arriving
     * (see {@link #advance}); its events carry the version its answer was computed at.
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
            for ( LiveGroup g : groups.values() )
                g.subscribers.forEach(s -> s.offer(new LiveEvent.Error(version, "The live query engine stopped: " + ex)));
        }
    }

    private void step() {
        long v = dsg.beginReadAtKnownVersion();
        try {
            if ( version >= 0 && v > version )
                advance(version, v);
            version = v;
            Runnable r;
            while ( (r = requests.poll()) != null )
                r.run();
        } finally {
            dsg.end();
        }
    }

    /**
     * Bring every query affected by the patches in (from, to] up to version {@code to}. Cheap queries
     * and those followed by delta rules first; expensive ones, least recently evaluated first, only
     * for {@link #SLOW_BUDGET_NANOS} once newer commits are waiting: the rest stay stale for the next
     * step, so a few costly queries cannot hold back the notifications of all the others.
     */
    private void advance(long from, long to) {
        long t0 = System.nanoTime();
        IncrementalPlan.ChangeCollector collector = new IncrementalPlan.ChangeCollector(MAX_DELTA_CHANGES);
        Set<LiveGroup> affected = affected(from, to, collector);
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
            if ( g.costNanos > CHEAP_NANOS && !byDelta )
                slow.add(g);
            else
                notified |= refresh(g, to, changes);
        }
        slow.sort(java.util.Comparator.comparingLong(g -> g.evaluatedAt));
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
     * its answer changed.
     */
    private boolean refresh(LiveGroup g, long to, IncrementalPlan.StepChanges changes) {
        Applied applied = null;
        long t0 = System.nanoTime();
        try {
            if ( g.plan != null && changes != null && !g.stale ) {
                // A full LIMIT answer keeps its rows whatever is added.
                boolean additions = g.plan.limit() < 0 || g.rowCount < g.plan.limit();
                applied = applyDelta(g, g.plan.delta(dsg, changes, g.result().vars(), additions), to);
            }
            if ( applied == null ) {
                LiveResult next = evaluateWhole(g, to);
                applied = new Applied(next, next.since(g.result()));
            }
        } catch (LiveQueryException ex) {
            // The answer is left as it was, at its own version; the next change re-runs the query.
            g.stale = true;
            g.subscribers.forEach(s -> s.offer(new LiveEvent.Error(to, ex.getMessage())));
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

    /** A query's new answer and the change from the previous one (null if none). */
    private record Applied(LiveResult result, LiveDelta delta) {}

    /**
     * The group's answer at {@code to} with each row's number of occurrences changed by
     * {@code diff}, or null when the counts do not add up (then the query is re-run). Costs what
     * the change costs, plus a copy of the answer when it changes.
     */
    private Applied applyDelta(LiveGroup g, Map<Binding, Integer> diff, long to) {
        LiveResult before = g.result();
        long limit = g.plan.limit();
        if ( diff.isEmpty() )
            return new Applied(before, null);
        if ( limit >= 0 && g.rowCount >= limit ) {
            // Any LIMIT rows will do: a full answer holds unless one of its rows lost a solution (which may have been its last).
            for ( Map.Entry<Binding, Integer> e : diff.entrySet() ) {
                if ( e.getValue() < 0 && before.rows().containsKey(e.getKey()) )
                    return null;
            }
            return new Applied(before, null);
        }
        boolean distinct = g.plan.distinct();
        // The counts behind a DISTINCT answer are the engine's own: changed in place (a re-run resets them).
        Map<Binding, Integer> counts = distinct ? g.counts : new HashMap<>(before.rows());
        Map<Binding, Integer> rows = distinct ? new HashMap<>(before.rows()) : counts;
        for ( Map.Entry<Binding, Integer> e : diff.entrySet() ) {
            int c = counts.getOrDefault(e.getKey(), 0) + e.getValue();
            if ( c < 0 ) {
                LOG.warn("Dataset '{}': live query's counts went negative at version {}; re-running it: {}", dataset(), to, g.key());
                return null;
            }
            if ( c == 0 )
                counts.remove(e.getKey());
            else
                counts.put(e.getKey(), c);
            if ( distinct ) {
                if ( c == 0 )
                    rows.remove(e.getKey());
                else
                    rows.put(e.getKey(), 1);
            }
        }
        Set<Binding> touched = new HashSet<>(diff.keySet());
        if ( limit >= 0 )
            trim(rows, limit, touched);
        List<Binding> added = new ArrayList<>();
        List<Binding> removed = new ArrayList<>();
        long total = g.rowCount;
        for ( Binding b : touched ) {
            int d = rows.getOrDefault(b, 0) - before.rows().getOrDefault(b, 0);
            total += d;
            for ( int i = 0 ; i < d ; i++ )
                added.add(b);
            for ( int i = 0 ; i < -d ; i++ )
                removed.add(b);
        }
        if ( total > config.maxResultRows() )
            throw tooManyRows();
        if ( added.isEmpty() && removed.isEmpty() )
            return new Applied(before, null);
        return new Applied(new LiveResult(to, before.vars(), rows, null), new LiveDelta(to, added, removed, null));
    }

    /** Drop occurrences of rows (any) until there are at most {@code limit}; the rows changed go to {@code touched}. */
    private static void trim(Map<Binding, Integer> rows, long limit, Set<Binding> touched) {
        long excess = -limit;
        for ( int c : rows.values() )
            excess += c;
        var it = rows.entrySet().iterator();
        while ( excess > 0 ) {
            Map.Entry<Binding, Integer> e = it.next();
            int drop = (int)Math.min(excess, e.getValue());
            excess -= drop;
            touched.add(e.getKey());
            if ( drop == e.getValue() )
                it.remove();
            else
                e.setValue(e.getValue() - drop);
        }
    }

    /** The answer of the group's query at {@code at}, evaluated whole; for a DISTINCT plan, its counts too. */
    private LiveResult evaluateWhole(LiveGroup g, long at) {
        if ( g.plan != null && g.plan.distinct() ) {
            try {
                LiveResult all = evaluate(g.plan.whole(), g.view(), at);
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
        return evaluate(g.query(), g.view(), at);
    }

    /** The queries the patches in (from, to] can affect; their changes go to {@code collector}. */
    private Set<LiveGroup> affected(long from, long to, IncrementalPlan.ChangeCollector collector) {
        Set<LiveGroup> out = new HashSet<>();
        if ( groups.isEmpty() )
            return out;
        int[] changes = {0};
        try {
            for ( long v = from + 1 ; v <= to ; v++ ) {
                LogRecord r = log.read(v);
                try (InputStream in = r.openPayload()) {
                    new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                        @Override
                        public void add(Node g, Node s, Node p, Node o) {
                            probe(g, s, p, o, true);
                        }

                        @Override
                        public void delete(Node g, Node s, Node p, Node o) {
                            probe(g, s, p, o, false);
                        }

                        private void probe(Node g, Node s, Node p, Node o, boolean add) {
                            if ( ++changes[0] > ALL_AFFECTED_AFTER_CHANGES )
                                throw new AllAffected();
                            Quad q = Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o);
                            index.affected(q, out);
                            collector.change(q, add);
                        }
                    });
                }
                if ( out.size() == groups.size() ) {
                    collector.giveUp();
                    break;
                }
            }
        } catch (AllAffected | VersionGoneException | DamagedRecordException ex) {
            // The answers come from the store, not the patch: re-evaluating every query is exact.
            collector.giveUp();
            out.addAll(groups.values());
        } catch (IOException ex) {
            LOG.warn("Dataset '{}': cannot read patches {}..{} for live queries ({}); re-evaluating all", dataset(), from + 1, to, ex.toString());
            collector.giveUp();
            out.addAll(groups.values());
        }
        return out;
    }

    /** Thrown to stop matching when a step changed so much that every query is re-evaluated anyway. */
    private static final class AllAffected extends RuntimeException {
        AllAffected() {
            super(null, null, false, false);
        }
    }

    private void notifiedLatency(long v) {
        try {
            log.observer().liveNotified(v, Math.max(0, System.currentTimeMillis() - log.read(v).meta().timestamp()));
        } catch (VersionGoneException | DamagedRecordException ex) {
            // Removed by retention meanwhile, or unreadable: no latency to report.
        }
    }

    private LiveResult evaluate(Query query, LiveView view, long atVersion) {
        long t0 = System.nanoTime();
        try {
            return evaluate0(query, view, atVersion);
        } finally {
            log.observer().liveEvaluated(System.nanoTime() - t0);
        }
    }

    private LiveResult evaluate0(Query query, LiveView view, long atVersion) {
        try (QueryExec qe = QueryExec.dataset(view.over().apply(dsg)).query(query).timeout(config.queryTimeout().toMillis(), TimeUnit.MILLISECONDS).build()) {
            if ( query.isAskType() )
                return new LiveResult(atVersion, List.of(), Map.of(), qe.ask());
            Map<Binding, Integer> rows = new HashMap<>();
            List<Var> vars;
            int[] n = {0};
            if ( query.isConstructType() ) {
                vars = TRIPLE_VARS;
                qe.constructTriples().forEachRemaining(t -> {
                    count(n);
                    rows.put(row(t), 1);
                });
            } else {
                RowSet rs = qe.select();
                vars = new ArrayList<>(rs.getResultVars());
                while ( rs.hasNext() ) {
                    count(n);
                    rows.merge(project(rs.next(), vars), 1, Integer::sum);
                }
            }
            return new LiveResult(atVersion, vars, rows, null);
        } catch (QueryCancelledException ex) {
            throw new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "The query took longer than " + config.queryTimeout().toSeconds()
                                         + " s to evaluate, the most allowed for a live query.");
        }
    }

    private void count(int[] n) {
        if ( ++n[0] > config.maxResultRows() )
            throw tooManyRows();
    }

    private LiveQueryException tooManyRows() {
        return new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "The answer has more than " + config.maxResultRows()
                                      + " rows, the most a live query may have; narrow the query (or use LIMIT).");
    }

    /**
     * The row over the result variables only. Rows can also bind hidden variables (path steps,
     * aggregates, SELECT * over a path): rows equal to the client would differ, so an unchanged
     * row could be sent as removed and added again, and the parent bindings would be kept alive.
     */
    static Binding project(Binding b, List<Var> vars) {
        BindingBuilder builder = Binding.builder();
        for ( Var v : vars ) {
            Node n = b.get(v);
            if ( n != null )
                builder.add(v, n);
        }
        return builder.build();
    }

    private static Binding row(Triple t) {
        return BindingFactory.binding(TRIPLE_VARS.get(0), t.getSubject(), TRIPLE_VARS.get(1), t.getPredicate(), TRIPLE_VARS.get(2), t.getObject());
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
        LOG.info("Dataset '{}': live query engine stopped at version {}", dataset(), version);
    }
}
