package org.fusekicdc.rsp.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.graph.GraphFactory;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.LateEvent;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.StreamOperator;
import org.fusekicdc.rsp.VersionReader;
import org.fusekicdc.rsp.WindowSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One registered query: when its windows report, what they hold, and what it emitted last
 * (for ISTREAM/DSTREAM). Windows over commit time with the same content live in stores shared
 * with other queries and are filled by the {@link Engine}; the others (event time, count,
 * session) are filled here.
 */
final class QueryRunner {
    private static final Logger LOG = LoggerFactory.getLogger(QueryRunner.class);

    private final String dataset;
    private final ContinuousQuery query;
    private final StepListener listener;
    private final StepEvaluator evaluator;
    private final VersionReader reader;
    private final long maxWindowQuads;
    private final long costlyStepNanos;
    private final List<WindowSpec> specs;
    private final List<WindowStore> stores;
    /** Per window: the predicates its patterns can match, or null for any. */
    private final List<Set<Node>> filters;
    /** Per window: whether the engine fills its store (shared commit-time window). */
    private final List<Boolean> sharedStore;
    private final WindowSpec first;

    private Long nextEnd;
    private long maxEventTime = Long.MIN_VALUE;
    private StepResult previous;
    private long steps;
    private long lateEvents;
    /** The late events of the commit being accepted, reported together once it has been. */
    private final List<LateEvent> lateOfCommit = new ArrayList<>();
    private long lastStep = -1;
    /** The version the last step was evaluated at, -1 before the first. */
    private long lastStepVersion = -1;
    /** Session windows: the version of the first event of the open session, and of the last closed one (-1: none). */
    private long sessionFrom = -1;
    private long closedSessionFrom = -1;
    private ContinuousQueryException failure;
    /** Evaluation time of the slowest step over the costly threshold, or 0 while none was. */
    private long costlyNanos;
    /** Time spent taking in the next step's events ahead of it, counted with that step. */
    private long aheadNanos;

    QueryRunner(String dataset, ContinuousQuery query, StepListener listener, StepEvaluator evaluator, VersionReader reader,
                long maxWindowQuads, long costlyStepMillis, List<WindowStore> stores, List<Set<Node>> filters, List<Boolean> sharedStore) {
        this.dataset = dataset;
        this.query = query;
        this.listener = listener;
        this.evaluator = evaluator;
        this.reader = reader;
        this.maxWindowQuads = maxWindowQuads;
        this.costlyStepNanos = costlyStepMillis * 1_000_000;
        this.specs = query.windows();
        this.stores = stores;
        this.filters = filters;
        this.sharedStore = sharedStore;
        this.first = specs.get(0);
    }

    String name() {
        return query.name();
    }

    ContinuousQueryException failure() {
        return failure;
    }

    /** Whether a step took longer to evaluate than the costly threshold. */
    boolean costly() {
        return costlyNanos > 0;
    }

    long costlyMillis() {
        return costlyNanos / 1_000_000;
    }

    /** Window {@code i} is held in {@code store} from now on (the query moved to another engine with a copy of its shared store). */
    void useStore(int i, WindowStore store) {
        stores.set(i, store);
    }

    /**
     * The oldest event time the query still needs from window {@code window}'s store, or MAX
     * when it has not started: the start of the last window reported, since an incremental
     * evaluator takes away what left it at the next step.
     */
    long neededFrom(int window) {
        return nextEnd == null ? Long.MAX_VALUE : nextEnd - first.step().toMillis() - specs.get(window).range().toMillis();
    }

    /**
     * The oldest commit version a replay must be fed from for this query to make the same steps
     * as it will make from now on (MAX when none is needed), given the engine's clock and this
     * query's latest event time as they stood before that commit: every event its windows hold;
     * for a session window, the start of the last closed session too (a replay starting inside it
     * would report a part of it as a session of its own); for ISTREAM and DSTREAM over time
     * windows, the last step, whose answer the next step is compared with.
     */
    long replayFrom() {
        long from = Long.MAX_VALUE;
        for ( WindowStore s : stores )
            from = Math.min(from, s.minVersion());
        if ( first.kind() == WindowSpec.Kind.SESSION && closedSessionFrom >= 0 )
            from = Math.min(from, closedSessionFrom);
        if ( first.kind() == WindowSpec.Kind.TIME && query.operator() != StreamOperator.RSTREAM && lastStepVersion >= 0 )
            from = Math.min(from, Math.max(1, lastStepVersion));
        return from;
    }

    /** The latest event time seen by an event-time window (what its watermark follows), MIN when none or not event time. */
    long latestEventTime() {
        return first.eventTime() ? maxEventTime : Long.MIN_VALUE;
    }

    /**
     * Resume an event-time query as it stood before a replayed commit: its latest event time
     * then, so that the replay refuses the same late events, and for a time window the next
     * window end that watermark implies.
     */
    void resumeEventTime(long latest) {
        if ( !first.eventTime() || latest == Long.MIN_VALUE )
            return;
        maxEventTime = latest;
        if ( first.kind() == WindowSpec.Kind.TIME ) {
            long step = first.step().toMillis();
            nextEnd = Math.floorDiv(watermark(), step) * step + step;
        }
    }

    QueryStatus status() {
        long held = 0;
        for ( WindowStore s : stores )
            held += s.size();
        return new QueryStatus(query.name(), steps, lateEvents, held, evaluator.incremental(), lastStep);
    }

    /** Commit time has reached {@code clock}: commit-time windows ending by then report at {@code version}. */
    void advance(long clock, long version) {
        if ( failure != null || first.eventTime() )
            return;
        switch (first.kind()) {
            case TIME -> closeTimeWindows(clock, version);
            case SESSION -> {
                WindowStore s = stores.get(0);
                if ( !s.isEmpty() && clock >= s.newest() + first.gap().toMillis() )
                    closeSession(s.newest(), version);
            }
            case COUNT -> { }
        }
    }

    /**
     * The earliest clock time at which {@link #advance} would make this query report with no
     * further commit: its next time window's end, or its open session's end; MAX_VALUE when only
     * a commit can make it report (count and event-time windows, a failed query).
     */
    long nextClose(long clock) {
        if ( failure != null || first.eventTime() )
            return Long.MAX_VALUE;
        return switch (first.kind()) {
            case TIME -> {
                long step = first.step().toMillis();
                if ( nextEnd != null )
                    yield nextEnd;
                yield clock == Long.MIN_VALUE ? Long.MAX_VALUE : Math.floorDiv(clock, step) * step + step;
            }
            case SESSION -> stores.get(0).isEmpty() ? Long.MAX_VALUE : stores.get(0).newest() + first.gap().toMillis();
            case COUNT -> Long.MAX_VALUE;
        };
    }

    /** A commit, stamped {@code time} (its commit time, never earlier than time already reached), after the windows closed by that time reported. */
    void accept(Commit commit, long time) {
        if ( failure != null )
            return;
        evaluator.committed(commit);
        switch (first.kind()) {
            case COUNT -> acceptCount(commit, time);
            case SESSION -> acceptSession(commit, time);
            case TIME -> {
                if ( first.eventTime() )
                    acceptEventTime(commit, time);
                else
                    takeInAhead(time, commit.version());
            }
        }
        if ( !lateOfCommit.isEmpty() ) {
            List<LateEvent> late = List.copyOf(lateOfCommit);
            lateOfCommit.clear();
            listener.late(late);
        }
    }

    /**
     * A commit-time window's events stamped before {@code time} are final (the engine's clock
     * does not go back, and a later commit may share {@code time}): let the evaluator take them in
     * ahead of the next step. The time it takes counts towards that step's cost.
     */
    private void takeInAhead(long time, long version) {
        if ( nextEnd == null || !evaluator.incremental() )
            return;
        List<WindowView> views = new ArrayList<>(specs.size());
        for ( int i = 0; i < specs.size(); i++ )
            views.add(new WindowView(specs.get(i), stores.get(i), nextEnd - specs.get(i).range().toMillis(), nextEnd));
        long started = System.nanoTime();
        try {
            evaluator.ahead(views, time);
        } catch (RuntimeException ex) {
            LOG.warn("Dataset {} version {}: continuous query <{}> failed taking in the events before {}: {}", dataset, version, query.name(),
                     Instant.ofEpochMilli(time), ex.toString());
            fail(new ContinuousQueryException("continuous query <" + query.name() + "> on dataset " + dataset + " failed taking in the events before "
                                              + Instant.ofEpochMilli(time) + " (version " + version + "): " + ex.getMessage()));
        }
        aheadNanos += System.nanoTime() - started;
    }

    private void acceptCount(Commit commit, long time) {
        WindowStore s = stores.get(0);
        List<Quad> quads = StreamEvents.quads(commit, first);
        if ( quads.isEmpty() )
            return;
        for ( Quad q : quads )
            s.add(new Event(q, time, commit.version()));
        s.keepNewest(first.rows());
        step(commit.version(), s.oldest(), time + 1, commit.version(), List.of(new WindowView(first, s, Long.MIN_VALUE, Long.MAX_VALUE)));
    }

    private void acceptSession(Commit commit, long commitTime) {
        WindowStore s = stores.get(0);
        List<Quad> quads = StreamEvents.quads(commit, first);
        Map<Node, Long> times = first.eventTime() ? StreamEvents.eventTimes(quads, first.timeProperty()) : Map.of();
        long gap = first.gap().toMillis();
        for ( Quad q : quads ) {
            long t = times.getOrDefault(q.getSubject(), commitTime);
            if ( first.eventTime() && late(q, t, commit.version()) )
                continue;
            if ( !first.eventTime() && !s.isEmpty() && t >= s.newest() + gap )
                closeSession(s.newest(), commit.version() - 1);
            if ( s.isEmpty() )
                sessionFrom = commit.version();
            s.add(new Event(q, t, commit.version()));
            maxEventTime = Math.max(maxEventTime, t);
        }
        if ( overBudget(0) )
            return;
        // Event time: the store may hold several sessions (events arrive out of order); close, oldest
        // first, each one whose last event the watermark has passed by the gap.
        while ( first.eventTime() && failure == null && !s.isEmpty() ) {
            long last = s.lastBeforeGap(gap);
            if ( watermark() < last + gap )
                break;
            closeSession(last, commit.version());
        }
    }

    /** Report the oldest session held, the one whose last event is at {@code last}, and drop it. */
    private void closeSession(long last, long version) {
        WindowStore s = stores.get(0);
        long start = s.oldest();
        long end = last + first.gap().toMillis();
        step(start, start, end, version, List.of(new WindowView(first, s, Long.MIN_VALUE, end)));
        s.evictBefore(end);
        closedSessionFrom = sessionFrom;
    }

    private void acceptEventTime(Commit commit, long commitTime) {
        long earliest = Long.MAX_VALUE;
        for ( int i = 0; i < specs.size(); i++ ) {
            WindowSpec spec = specs.get(i);
            List<Quad> quads = StreamEvents.quads(commit, spec);
            Map<Node, Long> times = StreamEvents.eventTimes(quads, spec.timeProperty());
            for ( Quad q : quads ) {
                long t = times.getOrDefault(q.getSubject(), commitTime);
                if ( late(q, t, commit.version()) )
                    continue;
                if ( StreamEvents.wanted(filters.get(i), q) )
                    stores.get(i).add(new Event(q, t, commit.version()));
                maxEventTime = Math.max(maxEventTime, t);
                earliest = Math.min(earliest, t);
            }
            if ( overBudget(i) )
                return;
        }
        // The first windows are those after the earliest first event, not after the first watermark:
        // the first commit's older events must report in the windows the watermark has already passed.
        if ( nextEnd == null && earliest != Long.MAX_VALUE ) {
            long step = first.step().toMillis();
            nextEnd = Math.floorDiv(earliest, step) * step + step;
        }
        if ( maxEventTime != Long.MIN_VALUE )
            closeTimeWindows(watermark(), commit.version());
    }

    private long watermark() {
        return maxEventTime == Long.MIN_VALUE ? Long.MIN_VALUE : maxEventTime - first.allowedLateness().toMillis();
    }

    private boolean late(Quad q, long t, long version) {
        long wm = watermark();
        if ( wm == Long.MIN_VALUE || t >= wm )
            return false;
        lateEvents++;
        LOG.debug("Dataset {} version {}: query <{}> refused a late event at {} (watermark {})", dataset, version, query.name(),
                  Instant.ofEpochMilli(t), Instant.ofEpochMilli(wm));
        lateOfCommit.add(new LateEvent(query.name(), first.iri().getURI(), q, Instant.ofEpochMilli(t), Instant.ofEpochMilli(wm), version));
        return true;
    }

    /** Whether window {@code i}'s store is over budget; if so the query has failed. */
    boolean overBudget(int i) {
        if ( stores.get(i).size() <= maxWindowQuads )
            return false;
        fail(new ContinuousQueryException("window <" + specs.get(i).iri().getURI() + "> of query <" + query.name() + "> on dataset " + dataset
                                          + " holds more than " + maxWindowQuads + " quad events, the budget cdc:maxWindowQuads; raise "
                                          + "cdc:maxWindowQuads, shorten the window's RANGE, or restrict it with GRAPH <g>"));
        return true;
    }

    private void closeTimeWindows(long until, long version) {
        long step = first.step().toMillis();
        if ( nextEnd == null )
            nextEnd = Math.floorDiv(until, step) * step + step;
        while ( failure == null && nextEnd <= until ) {
            long end = nextEnd;
            List<WindowView> views = new ArrayList<>(specs.size());
            for ( int i = 0; i < specs.size(); i++ )
                views.add(new WindowView(specs.get(i), stores.get(i), end - specs.get(i).range().toMillis(), end));
            step(end / step, end - first.range().toMillis(), end, version, views);
            nextEnd = end + step;
            for ( int i = 0; i < specs.size(); i++ )
                if ( !sharedStore.get(i) )
                    stores.get(i).evictBefore(neededFrom(i));
        }
    }

    private void step(long number, long start, long end, long version, List<WindowView> views) {
        StepResult answer;
        try (VersionReader.View view = reader.open(version)) {
            long started = System.nanoTime();
            answer = evaluator.evaluate(views, view.dataset(), end);
            long took = System.nanoTime() - started + aheadNanos;
            aheadNanos = 0;
            if ( took > costlyStepNanos && took > costlyNanos )
                costlyNanos = took;
        } catch (RuntimeException ex) {
            LOG.warn("Dataset {} version {}: continuous query <{}> failed at step {}: {}", dataset, version, query.name(), number, ex.toString());
            fail(new ContinuousQueryException("continuous query <" + query.name() + "> on dataset " + dataset + " failed at step " + number
                                              + " (version " + version + "): " + ex.getMessage()));
            return;
        }
        StepResult emitted = answer instanceof StepResult.Bool ? answer : switch (query.operator()) {
            case RSTREAM -> answer;
            case ISTREAM -> difference(answer, previous);
            case DSTREAM -> difference(previous, answer);
        };
        previous = query.operator() == StreamOperator.RSTREAM ? null : answer;
        steps++;
        lastStep = number;
        lastStepVersion = version;
        try {
            listener.step(new Step(query.name(), number, Instant.ofEpochMilli(start), Instant.ofEpochMilli(end), version, query.operator(),
                                   emitted != null ? emitted : empty(answer)));
        } catch (RuntimeException ex) {
            // A listener that throws stops its own query, not the engine or the other queries.
            fail(new ContinuousQueryException("the listener of continuous query <" + query.name() + "> on dataset " + dataset
                                              + " failed at step " + number + " (version " + version + "): " + ex));
        }
    }

    void fail(ContinuousQueryException error) {
        if ( failure != null )
            return;
        failure = error;
        LOG.warn("Dataset {}: {}", dataset, error.getMessage());
        listener.failed(query.name(), error);
    }

    static StepResult empty(StepResult like) {
        return switch (like) {
            case StepResult.Rows r -> new StepResult.Rows(r.vars(), List.of());
            case StepResult.Triples t -> new StepResult.Triples(GraphFactory.createGraphMem());
            case StepResult.Bool b -> b;
        };
    }

    /** What {@code a} has that {@code b} has not (bags for rows, sets for triples); null when {@code a} is null. */
    static StepResult difference(StepResult a, StepResult b) {
        if ( a == null )
            return null;
        if ( b == null )
            return a;
        return switch (a) {
            case StepResult.Bool bool -> a;
            case StepResult.Triples t -> {
                Graph out = GraphFactory.createGraphMem();
                Graph other = ((StepResult.Triples)b).graph();
                t.graph().find().forEachRemaining(tr -> {
                    if ( !other.contains(tr) )
                        out.add(tr);
                });
                yield new StepResult.Triples(out);
            }
            case StepResult.Rows r -> {
                Map<Binding, Integer> counts = new HashMap<>();
                for ( Binding row : ((StepResult.Rows)b).rows() )
                    counts.merge(row, 1, Integer::sum);
                List<Binding> out = new ArrayList<>();
                for ( Binding row : r.rows() ) {
                    Integer n = counts.get(row);
                    if ( n == null || n == 0 )
                        out.add(row);
                    else
                        counts.put(row, n - 1);
                }
                yield new StepResult.Rows(r.vars(), out);
            }
        };
    }
}
