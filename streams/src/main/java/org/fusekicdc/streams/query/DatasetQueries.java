package org.fusekicdc.streams.query;

import java.util.ArrayList;
import java.util.List;

import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.LateEvent;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepListener;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The continuous queries over one dataset of the change topic: the in-server engine
 * ({@link StreamEngine}) fed with the dataset's commits, over {@link ReferenceData} built from
 * the same commits. Commit times are the only clock: a window reports when a later commit
 * arrives, so a replay of the same commits gives the same steps.
 */
final class DatasetQueries implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DatasetQueries.class);

    private final String dataset;
    private final StreamEngine engine;
    private final ReferenceData reference;
    private final List<Step> steps = new ArrayList<>();

    DatasetQueries(String dataset, List<ContinuousQuery> queries, StreamEngineConfig config) {
        this.dataset = dataset;
        this.reference = new ReferenceData(dataset);
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
            }
        };
        for ( ContinuousQuery q : queries )
            engine.register(q, listener);
    }

    /** The version of the last commit taken. */
    long version() {
        return engine.version();
    }

    /** Take the next commit; the steps it completed, in the order the engine reported them. */
    List<Step> accept(Commit commit) {
        steps.clear();
        reference.pending(commit);
        engine.accept(commit);
        reference.apply(commit);
        List<Step> out = List.copyOf(steps);
        steps.clear();
        return out;
    }

    String dataset() {
        return dataset;
    }

    @Override
    public void close() {
        engine.close();
    }
}
