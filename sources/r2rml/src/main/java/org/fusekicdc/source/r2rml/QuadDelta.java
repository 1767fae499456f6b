package org.fusekicdc.source.r2rml;

import java.util.Set;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;

/**
 * What one change does to the mapped dataset: quads to remove (present now, no longer produced)
 * and quads to add (produced, absent now). The two sets are disjoint.
 */
public record QuadDelta(Set<Quad> removed, Set<Quad> added) {

    public QuadDelta {
        removed = Set.copyOf(removed);
        added = Set.copyOf(added);
    }

    public boolean isEmpty() {
        return removed.isEmpty() && added.isEmpty();
    }

    /** Removes then adds, in the caller's transaction. */
    public void applyTo(DatasetGraph dsg) {
        removed.forEach(dsg::delete);
        added.forEach(dsg::add);
    }
}
