package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The continuous queries of one dataset, fed with its commits in version order and with the
 * passing of time. Each registered query keeps its windows, and at each step evaluates its
 * WINDOW blocks over the window content and the rest of the query over the dataset at the
 * step's version (opened through the {@link VersionReader}); the step goes to the query's
 * {@link StepListener} on the calling thread. Queries whose windows have the same content
 * share one store of events.
 * <p>
 * Feeding contract: {@link #accept} receives every commit after {@link #startAfter} exactly
 * once, in version order; {@link #advanceTo} promises that no commit with an earlier commit
 * time follows (a later commit stamped earlier is treated as stamped at the time already
 * reached). Methods are synchronized: one feeder thread at a time.
 */
public final class StreamEngine implements AutoCloseable {
    private final org.fusekicdc.rsp.internal.Engine engine;
    private final StreamEngineConfig config;
    private final VersionReader reader;

    /**
     * @param dataset name of the dataset, for logs and errors
     * @param config  limits
     * @param reader  the dataset at a version
     */
    public StreamEngine(String dataset, StreamEngineConfig config, VersionReader reader) {
        this.engine = new org.fusekicdc.rsp.internal.Engine(dataset, config, reader);
        this.config = config;
        this.reader = reader;
    }

    /**
     * Where the stream starts: commits up to {@code version} are ignored, so a restarted
     * server can replay its log from the oldest window start. Call before the first commit.
     */
    public synchronized void startAfter(long version) {
        engine.startAfter(version);
    }

    /**
     * Register a query; its windows fill from the next commit on.
     *
     * @throws ContinuousQueryException when the query has no name, a query of that name is registered, or a
     *         count window is larger than {@link StreamEngineConfig#maxWindowQuads()}
     */
    public synchronized void register(ContinuousQuery query, StepListener listener) {
        engine.register(query, listener);
    }

    /**
     * Register the dataset side of a query whose work is split by key
     * ({@link org.fusekicdc.rsp.internal.SplitPlan}): it makes the query's steps (same numbers,
     * windows and versions, as RSTREAM), each carrying as rows the solutions of the query's part
     * outside WINDOW at the step's version; the windows' aggregates are computed elsewhere.
     *
     * @throws ContinuousQueryException as {@link #register}
     */
    public synchronized void registerSplit(org.fusekicdc.rsp.internal.SplitPlan plan, StepListener listener) {
        engine.registerSplit(plan, listener);
    }

    /**
     * Refuse, before registering it, a query one of whose commit-time windows the recent stream
     * already overfills: the events it would keep among the commits of its last RANGE (counted
     * back from {@code now}, with the window's stream, graph and the predicates its patterns can
     * match) are more than {@link StreamEngineConfig#maxWindowQuads()}. At that rate the window
     * would fail its query once filled. Event-time, count and session windows are not counted here.
     *
     * @param newestFirst the dataset's commits, newest first; read lazily, up to the first that takes a window past the budget
     * @throws ContinuousQueryException naming the window, the versions counted and {@code cdc:maxWindowQuads}
     */
    public static void checkWindowBudget(ContinuousQuery query, StreamEngineConfig config, Instant now, Iterator<Commit> newestFirst) {
        org.fusekicdc.rsp.internal.WindowBudget.check(query, config.maxWindowQuads(), now, newestFirst);
    }

    /** Remove a query; false when none has that name. */
    public synchronized boolean unregister(String name) {
        return engine.unregister(name);
    }

    /** The next commit: its events enter the windows, and windows that end before its commit time report. */
    public synchronized void accept(Commit commit) {
        engine.accept(commit);
    }

    /** Time has reached {@code now}: commit-time windows ending at or before it report. */
    public synchronized void advanceTo(Instant now) {
        engine.advanceTo(now);
    }

    /**
     * When a query reports next with no further commit: the end of the earliest commit-time
     * window or session still open, so that a feeder can wait exactly until then and call
     * {@link #advanceTo}. Empty when only a commit can make a query report (no query, or only
     * count and event-time windows).
     */
    public synchronized Optional<Instant> nextClose() {
        long next = engine.nextClose();
        return next == Long.MAX_VALUE ? Optional.empty() : Optional.of(Instant.ofEpochMilli(next));
    }

    /**
     * The costly queries: those a step of which took longer to evaluate than
     * {@link StreamEngineConfig#costlyStepMillis()}, each with the time that step took (ms).
     */
    public synchronized Map<String, Long> costlyQueries() {
        return engine.costly();
    }

    /**
     * Move a registered query, with its windows and state, to an engine of its own, which then
     * stands at this engine's version and time: fed the same commits and time from there on, it
     * makes exactly the steps the query would have made here, in order. The query's shared
     * windows are copied. Its listener is called on the thread that feeds the new engine.
     *
     * @param name the query
     * @param as   the new engine's name, for logs and errors
     * @throws IllegalArgumentException when no query has that name
     */
    public synchronized StreamEngine isolate(String name, String as) {
        StreamEngine own = new StreamEngine(as, config, reader);
        synchronized (own) {
            engine.moveTo(name, own.engine);
        }
        return own;
    }

    /**
     * The oldest commit a restart must replay for the registered queries to make exactly the
     * steps this engine will make from now on: the version to {@link #startAfter} is one less,
     * and before replaying, {@link #resume} with the {@link #time()} and {@link #eventTimes()}
     * this engine had just before it took that commit. Commits older than it can be let go
     * (the dataset at the version before it is still needed for the part outside WINDOW blocks).
     * {@code version() + 1} when no commit taken so far is needed. A query that failed needs none.
     */
    public synchronized long replayFrom() {
        return engine.replayFrom();
    }

    /** The time reached (the latest commit time taken or time advanced to), in ms since the epoch; Long.MIN_VALUE before either. */
    public synchronized long time() {
        return engine.clock();
    }

    /** The latest event time (ms since the epoch) seen by each event-time query, by name; what its watermark follows. */
    public synchronized Map<String, Long> eventTimes() {
        return engine.eventTimes();
    }

    /**
     * Resume as an engine stood just before the first commit to be replayed: its time (ms since the
     * epoch, Long.MIN_VALUE for none) and its queries' latest event times, as {@link #time()} and
     * {@link #eventTimes()} gave them then. Call after {@link #startAfter} and registering the queries,
     * before the first commit; windows ending by that time report nothing.
     */
    public synchronized void resume(long time, Map<String, Long> eventTimes) {
        engine.resume(time, eventTimes);
    }

    /** Version of the last commit accepted (or the start position). */
    public synchronized long version() {
        return engine.version();
    }

    /** The registered queries and what they have done. */
    public synchronized List<QueryStatus> status() {
        return engine.status();
    }

    @Override
    public synchronized void close() {
        engine.close();
    }
}
