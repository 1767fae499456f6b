package org.fusekicdc.rsp.internal;

import java.util.List;

import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.StepResult;

/** Computes a query's whole answer (RSTREAM) at a step. */
interface StepEvaluator {
    /**
     * @param windows the query's windows at this step, in declaration order
     * @param dataset the dataset at the step's version, readable on this thread
     * @param now     the step's time (the window's end), what NOW() returns in the query
     */
    StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now);

    /** Whether this evaluator updates state incrementally rather than re-evaluating the window. */
    boolean incremental();

    /** A commit was accepted (before the steps evaluated at its version): evaluators that keep dataset reads learn what changed. */
    default void committed(Commit commit) {}

    /**
     * The events before {@code before} of the window to be reported next are final (a commit-time
     * window: no later commit is stamped earlier): an incremental evaluator may take them in now,
     * while they are in the cache, so that the step at the window's end has only the rest to do.
     *
     * @param windows the query's windows as the next step will see them
     */
    default void ahead(List<WindowView> windows, long before) {}
}
