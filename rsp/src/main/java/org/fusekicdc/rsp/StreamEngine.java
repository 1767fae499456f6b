package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.List;

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

    /**
     * @param dataset name of the dataset, for logs and errors
     * @param config  limits
     * @param reader  the dataset at a version
     */
    public StreamEngine(String dataset, StreamEngineConfig config, VersionReader reader) {
        this.engine = new org.fusekicdc.rsp.internal.Engine(dataset, config, reader);
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
