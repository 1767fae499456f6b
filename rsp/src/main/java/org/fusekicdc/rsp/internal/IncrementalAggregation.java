package org.fusekicdc.rsp.internal;

import java.util.List;
import java.util.Optional;

import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StepResult;

/** Placeholder until the incremental plan is written below. */
final class IncrementalAggregation implements StepEvaluator {
    static Optional<IncrementalAggregation> plan(ContinuousQuery query) {
        return Optional.empty();
    }

    @Override
    public StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now) {
        throw new UnsupportedOperationException();
    }

    @Override
    public boolean incremental() {
        return true;
    }
}
