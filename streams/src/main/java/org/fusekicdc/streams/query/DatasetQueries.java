package org.fusekicdc.streams.query;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.LateEvent;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.internal.SplitPlan;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous queries over one dataset of the change topic: the in-server engine
 * ({@link StreamEngine}) fed with the dataset's commits, over {@link ReferenceData} built from
 * the same commits, and advanced by the wall clock ({@link #advanceTo}).
 * <p>
 * The engine's clock is the latest commit time taken or time advanced to; a commit stamped
 * earlier is taken at that time. {@link #accept} hands the engine each commit stamped with the
 * time it is taken at ({@link #effective}), and that stamp is what is stored, so that a replay of
 * the stored commits puts every event in the same window whatever wall-clock advances came between.
 */
final class DatasetQueries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetQueries.class);

    private final String dataset;
    private final StreamEngine engine;
    private final ReferenceData reference;
    private final List<Step> steps = new ArrayList<>();
    private final List<String> failed = new ArrayList<>();

    /**
     * @param queries   the queries to run (not those that failed before)
     * @param split     the queries whose work is split by key: of these only the dataset side runs here
     * @param reference the dataset at the version the engine starts after
     */
    DatasetQueries(String dataset, List<ContinuousQuery> queries, Map<String, SplitPlan> split, StreamEngineConfig config, ReferenceData reference) {
        this.dataset = dataset;
        this.reference = reference;
        this.engine = new StreamEngine(dataset, config, reference);
        StepListener listener = new StepListener() {
            @Override
            public void step(Step step) {
                steps.add(step);
            }

            @Override
            public void late(LateEvent event) {
                LOG.debug("Dataset '{}' version {}: continuous query <{}> dropped a late event", dataset, event.version(), event.query());
            }

            @Override
            public void failed(String query, ContinuousQueryException error) {
                LOG.error("Dataset '{}' version {}: continuous query <{}> stopped: {}", dataset, engine.version(), query, error.getMessage());
                failed.add(query);
            }
        };
        engine.startAfter(reference.version());
        for ( ContinuousQuery q : queries ) {
            SplitPlan plan = split.get(q.name());
            if ( plan != null )
                engine.registerSplit(plan, listener);
            else
                engine.register(q, listener);
        }
    }

    /** Resume as the engine stood before the first commit to replay (see {@link StreamEngine#resume}). */
    void resume(long time, Map<String, Long> eventTimes) {
        engine.resume(time, eventTimes);
    }

    /** The version of the last commit taken. */
    long version() {
        return engine.version();
    }

    /** The time reached, ms since the epoch (Long.MIN_VALUE before any). */
    long time() {
        return engine.time();
    }

    /** The latest event time of each event-time query: stored with the next commit, for a replay that starts there. */
    Map<String, Long> eventTimes() {
        return engine.eventTimes();
    }

    /** The commit as the engine takes it now: stamped no earlier than the time reached. */
    Commit effective(Commit commit) {
        long time = engine.time();
        if ( time == Long.MIN_VALUE || !commit.commitTime().isBefore(Instant.ofEpochMilli(time)) )
            return commit;
        return new Commit(commit.version(), Instant.ofEpochMilli(time), commit.added(), commit.removed());
    }

    /** Take the next commit; the steps it completed, in the order the engine reported them. */
    List<Step> accept(Commit commit) {
        steps.clear();
        reference.pending(commit);
        engine.accept(commit);
        reference.apply(commit);
        return taken();
    }

    /** Time has reached {@code millis} (no commit stamped earlier will come): the steps of the windows that ended. */
    List<Step> advanceTo(long millis) {
        steps.clear();
        if ( millis > engine.time() )
            engine.advanceTo(Instant.ofEpochMilli(millis));
        return taken();
    }

    private List<Step> taken() {
        List<Step> out = List.copyOf(steps);
        steps.clear();
        return out;
    }

    /** The queries that failed since the last call (they make no more steps). */
    List<String> failedQueries() {
        List<String> out = List.copyOf(failed);
        failed.clear();
        return out;
    }

    /**
     * The oldest stored commit a restart needs ({@link StreamEngine#replayFrom}), never after the
     * last one taken: that one is kept, so that the time and event times to resume with are
     * always those stored with a commit.
     */
    long replayFrom() {
        return Math.min(engine.replayFrom(), engine.version());
    }

    String dataset() {
        return dataset;
    }

    @Override
    public void close() {
        engine.close();
    }
}
