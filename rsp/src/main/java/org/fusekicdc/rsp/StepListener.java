package org.fusekicdc.rsp;

import java.util.List;

/**
 * Receives what a continuous query produces. Called on the thread that feeds the engine, in
 * step order; a listener that blocks delays the engine, one that throws from {@link #step}
 * fails its query (and only it).
 */
public interface StepListener {
    /** A step of the query. */
    void step(Step step);

    /** An event that came too late for its windows (counted in {@link QueryStatus#lateEvents()} too). */
    default void late(LateEvent event) {}

    /**
     * The late events of one commit for this query, in arrival order (never empty): called once
     * per commit that brought late events, after that commit's steps. By default each is handed
     * to {@link #late(LateEvent)}.
     */
    default void late(List<LateEvent> events) {
        events.forEach(this::late);
    }

    /**
     * The query cannot go on (a window over its budget, an evaluation error); the engine has
     * unregistered it.
     */
    default void failed(String query, ContinuousQueryException error) {}
}
