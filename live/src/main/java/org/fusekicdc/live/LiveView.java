package org.fusekicdc.live;

import java.util.function.UnaryOperator;

import org.apache.jena.sparql.core.DatasetGraph;

/**
 * The part of the dataset a subscriber may read (its graph-level access control view): live
 * queries are evaluated on {@code over(snapshot)}, and one evaluation is shared only among
 * subscribers of the same query with the same {@code key}.
 *
 * @param key  names the view; equal keys must give equal views
 * @param over the subscriber's read-only view of a snapshot
 */
public record LiveView(String key, UnaryOperator<DatasetGraph> over) {
    /** The whole dataset. */
    public static final LiveView ALL = new LiveView("all", UnaryOperator.identity());

    public boolean isAll() {
        return this == ALL;
    }
}
