package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

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
