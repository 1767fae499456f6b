package org.fusekicdc.rsp.internal;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.core.Quad;

/**
 * One quad event in a window: the quad as the commit carried it (its graph name is ignored:
 * windows are graphs; kept as is so that ingest allocates no triple), its time in
 * milliseconds (commit time or event time) and the version of the commit that carried it.
 */
record Event(Quad quad, long time, long version) {
    Node subject() {
        return quad.getSubject();
    }

    Node predicate() {
        return quad.getPredicate();
    }

    Node object() {
        return quad.getObject();
    }

    /** The quad as a triple of the window graph. */
    Triple triple() {
        return quad.asTriple();
    }
}
