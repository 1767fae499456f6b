package org.fusekicdc.rsp.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.live.QueryPatterns;
import org.fusekicdc.live.QueryPatterns.QuadPattern;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.RspVocab;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;
import org.fusekicdc.rsp.WindowSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The engine behind {@link org.fusekicdc.rsp.StreamEngine}; not thread-safe (the facade synchronizes). */
public final class Engine {
    private static final Logger LOG = LoggerFactory.getLogger(Engine.class);

    /** Windows over commit time with the same content and the same quad filter share one store. */
    private record StoreKey(WindowSpec content, Set<Node> predicates) {}

    private static final class SharedStore {
        final WindowStore store = new WindowStore();
        final WindowSpec spec;
        /** The predicates its windows' patterns can match, null for any. */
        final PredicateIds predicates;
        /** Members and the index of this store among their windows. */
        final Map<QueryRunner, Integer> members = new LinkedHashMap<>();

        SharedStore(WindowSpec spec, Set<Node> predicates) {
            this(spec, predicates == null ? null : new PredicateIds(predicates));
        }

        SharedStore(WindowSpec spec, PredicateIds predicates) {
            this.spec = spec;
            this.predicates = predicates;
        }

        boolean wanted(Quad q) {
            return predicates == null || predicates.contains(q.getPredicate());
        }
    }

    private final String dataset;
    private final StreamEngineConfig config;
    private final VersionReader reader;
    private final Map<String, QueryRunner> runners = new LinkedHashMap<>();
    private final Map<StoreKey, SharedStore> shared = new LinkedHashMap<>();
    private long version;
    private long clock = Long.MIN_VALUE;
    private boolean started;

    public Engine(String dataset, StreamEngineConfig config, VersionReader reader) {
        this.dataset = dataset;
        this.config = config;
        this.reader = reader;
    }

    public void startAfter(long startVersion) {
        if ( started )
            throw new IllegalStateException("dataset " + dataset + ": startAfter(" + startVersion + ") after commits were accepted (at version "
                                            + version + "); set the start position before the first commit");
        version = startVersion;
    }

    public void register(ContinuousQuery query, StepListener listener) {
        register(query, listener, config.incremental()
            ? IncrementalAggregation.plan(query).map(p -> (StepEvaluator)p).orElseGet(() -> new ReEvaluation(query.sparql()))
            : new ReEvaluation(query.sparql()));
    }

    /**
     * Register the dataset side of a split query: its steps come at the same times, numbers and
     * versions as the query's own would, each carrying the solutions of the query's dataset part
     * at the step's version (see {@link SplitPlan#datasetSide}); its operator is applied where the
     * answer is assembled.
     */
    public void registerSplit(SplitPlan plan, StepListener listener) {
        register(plan.query().withOperator(org.fusekicdc.rsp.StreamOperator.RSTREAM), listener, plan.datasetSide());
    }

    private void register(ContinuousQuery query, StepListener listener, StepEvaluator evaluator) {
        if ( query.name() == null )
            throw new ContinuousQueryException("a continuous query needs a name: start it with REGISTER RSTREAM <name> AS, or name it with withName");
        if ( runners.containsKey(query.name()) )
            throw new ContinuousQueryException("a continuous query named <" + query.name() + "> is already registered on dataset " + dataset
                                               + "; unregister it first or choose another name");
        for ( WindowSpec w : query.windows() )
            if ( w.kind() == WindowSpec.Kind.COUNT && w.rows() > config.maxWindowQuads() )
                throw new ContinuousQueryException("window <" + w.iri().getURI() + "> [ROWS " + w.rows() + "] would hold more than "
                                                   + config.maxWindowQuads() + " quad events, the budget cdc:maxWindowQuads; use fewer ROWS or raise cdc:maxWindowQuads");
        List<WindowStore> stores = new ArrayList<>();
        List<Set<Node>> filters = new ArrayList<>();
        List<Boolean> isShared = new ArrayList<>();
        List<SharedStore> joined = new ArrayList<>();
        List<QuadPattern> patterns = patterns(query);
        for ( WindowSpec w : query.windows() ) {
            Set<Node> predicates = w.kind() == WindowSpec.Kind.TIME ? predicates(w.iri(), patterns) : null;
            filters.add(predicates);
            if ( w.kind() == WindowSpec.Kind.TIME && !w.eventTime() ) {
                SharedStore s = shared.computeIfAbsent(new StoreKey(w.contentKey(), predicates), k -> new SharedStore(w, predicates));
                stores.add(s.store);
                isShared.add(true);
                joined.add(s);
            } else {
                stores.add(new WindowStore());
                isShared.add(false);
                joined.add(null);
            }
        }
        QueryRunner runner = new QueryRunner(dataset, query, listener, evaluator, reader, config.maxWindowQuads(), config.costlyStepMillis(),
                                             stores, filters, isShared);
        for ( int i = 0; i < joined.size(); i++ )
            if ( joined.get(i) != null )
                joined.get(i).members.put(runner, i);
        runners.put(query.name(), runner);
        LOG.info("Dataset {} version {}: registered continuous query <{}> ({} {}, {} window(s), {})", dataset, version, query.name(),
                 query.operator(), query.form(), query.windows().size(), evaluator.incremental() ? "incremental" : "re-evaluated per step");
    }

    static List<QuadPattern> patterns(ContinuousQuery query) {
        try {
            return QueryPatterns.of(Algebra.compile(query.sparql()));
        } catch (RuntimeException ex) {
            return null;
        }
    }

    /**
     * The predicates window {@code w}'s patterns can match, or null when they may match any quad
     * (a variable predicate, a path, or the event properties that every quad's subject has).
     */
    static Set<Node> predicates(Node w, List<QuadPattern> patterns) {
        if ( patterns == null )
            return null;
        Set<Node> out = new HashSet<>();
        for ( QuadPattern p : patterns ) {
            if ( !p.graph().equals(w) && p.graph() != Node.ANY )
                continue;
            if ( p.graph() == Node.ANY )
                return null;
            Node pred = p.predicate();
            if ( pred == Node.ANY || pred.equals(RspVocab.TIME) || pred.equals(RspVocab.VERSION) )
                return null;
            out.add(pred);
        }
        return Set.copyOf(out);
    }

    public boolean unregister(String name) {
        QueryRunner r = runners.remove(name);
        if ( r == null )
            return false;
        detach(r);
        LOG.info("Dataset {} version {}: unregistered continuous query <{}>", dataset, version, name);
        return true;
    }

    private void detach(QueryRunner r) {
        Iterator<SharedStore> it = shared.values().iterator();
        while ( it.hasNext() ) {
            SharedStore s = it.next();
            s.members.remove(r);
            if ( s.members.isEmpty() )
                it.remove();
        }
    }

    /** The queries a step of which took longer to evaluate than {@link StreamEngineConfig#costlyStepMillis()}, with that step's time (ms). */
    public Map<String, Long> costly() {
        Map<String, Long> out = new LinkedHashMap<>();
        runners.forEach((name, r) -> {
            if ( r.costly() )
                out.put(name, r.costlyMillis());
        });
        return out;
    }

    /**
     * Move query {@code name}, with its windows and state, into {@code target}, an engine that
     * has accepted no commit and holds no query: it continues from this engine's version and
     * time with the same steps it would have made here. Its shared windows are copied.
     */
    public void moveTo(String name, Engine target) {
        if ( target.started || !target.runners.isEmpty() )
            throw new IllegalStateException("dataset " + dataset + ": query <" + name + "> can only move to a new engine");
        QueryRunner r = runners.remove(name);
        if ( r == null )
            throw new IllegalArgumentException("dataset " + dataset + ": no continuous query named <" + name + "> is registered");
        for ( Map.Entry<StoreKey, SharedStore> e : shared.entrySet() ) {
            Integer i = e.getValue().members.get(r);
            if ( i == null )
                continue;
            SharedStore copy = new SharedStore(e.getValue().spec, e.getValue().predicates);
            e.getValue().store.copyInto(copy.store, r.neededFrom(i));
            copy.members.put(r, i);
            target.shared.put(e.getKey(), copy);
            r.useStore(i, copy.store);
        }
        detach(r);
        target.runners.put(name, r);
        target.version = version;
        target.clock = clock;
        target.started = true;
        LOG.info("Dataset {} version {}: continuous query <{}> moved to engine {}", dataset, version, name, target.dataset);
    }

    public void accept(Commit commit) {
        if ( commit.version() <= version ) {
            if ( !started )
                return;
            throw new IllegalArgumentException("dataset " + dataset + ": commit version " + commit.version() + " after version " + version
                                               + "; commits are fed once each, in version order");
        }
        started = true;
        long time = Math.max(clock, commit.commitTime().toEpochMilli());
        advance(time);
        for ( SharedStore s : shared.values() ) {
            for ( Quad q : StreamEvents.quads(commit, s.spec) )
                if ( s.wanted(q) )
                    s.store.add(time, commit.version(), q);
            if ( s.store.size() > config.maxWindowQuads() )
                s.members.forEach((r, i) -> r.overBudget(i));
        }
        for ( QueryRunner r : runners.values() )
            r.accept(commit, time);
        version = commit.version();
        sweep();
    }

    public void advanceTo(Instant now) {
        advance(Math.max(clock, now.toEpochMilli()));
        sweep();
    }

    private void advance(long time) {
        clock = time;
        for ( QueryRunner r : runners.values() )
            r.advance(time, version);
        for ( SharedStore s : shared.values() ) {
            long needed = Long.MAX_VALUE;
            for ( Map.Entry<QueryRunner, Integer> m : s.members.entrySet() )
                needed = Math.min(needed, m.getKey().neededFrom(m.getValue()));
            if ( needed != Long.MAX_VALUE )
                s.store.evictBefore(needed);
        }
    }

    /** The earliest clock time (ms) at which {@link #advanceTo} would make a query report, MAX_VALUE when only a commit can. */
    public long nextClose() {
        long next = Long.MAX_VALUE;
        for ( QueryRunner r : runners.values() )
            next = Math.min(next, r.nextClose(clock));
        return next;
    }

    /** Remove the queries that failed. */
    private void sweep() {
        Set<String> failed = new LinkedHashSet<>();
        runners.forEach((name, r) -> {
            if ( r.failure() != null )
                failed.add(name);
        });
        for ( String name : failed )
            detach(runners.remove(name));
    }

    public long version() {
        return version;
    }

    /** How many shared window stores the engine fills: one per window content and quad filter, however many queries read it. */
    int sharedStores() {
        return shared.size();
    }

    /** See {@link org.fusekicdc.rsp.StreamEngine#replayFrom()}. */
    public long replayFrom() {
        long from = version + 1;
        for ( QueryRunner r : runners.values() )
            from = Math.min(from, r.replayFrom());
        return from;
    }

    /** The time reached: the latest commit time taken or time advanced to, MIN before either. */
    public long clock() {
        return clock;
    }

    /** The latest event time of each event-time query that has seen one. */
    public Map<String, Long> eventTimes() {
        Map<String, Long> out = new LinkedHashMap<>();
        runners.forEach((name, r) -> {
            if ( r.latestEventTime() != Long.MIN_VALUE )
                out.put(name, r.latestEventTime());
        });
        return out;
    }

    /** See {@link org.fusekicdc.rsp.StreamEngine#resume}. */
    public void resume(long time, Map<String, Long> eventTimes) {
        if ( started )
            throw new IllegalStateException("dataset " + dataset + ": resume after commits were accepted (at version " + version
                                            + "); resume before the first commit");
        eventTimes.forEach((name, t) -> {
            QueryRunner r = runners.get(name);
            if ( r != null )
                r.resumeEventTime(t);
        });
        if ( time != Long.MIN_VALUE )
            advanceTo(java.time.Instant.ofEpochMilli(time));
    }

    public List<QueryStatus> status() {
        return runners.values().stream().map(QueryRunner::status).toList();
    }

    public void close() {
        runners.clear();
        shared.clear();
    }
}
