package org.fusekicdc.sink.webhook;

import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.changes.RDFChangesWrapper;
import org.apache.jena.sparql.core.Quad;

/**
 * Passes on the adds and deletes of the given graphs and predicates only (an empty set: any),
 * and drops prefix changes, which belong to no graph or predicate. Headers and transaction
 * markers pass, so a filtered patch keeps its id, prev and version.
 */
final class PatchFilter extends RDFChangesWrapper {
    private final Set<Node> graphs;
    private final Set<Node> predicates;
    private long passed;

    PatchFilter(RDFChanges out, Set<Node> graphs, Set<Node> predicates) {
        super(out);
        this.graphs = graphs;
        this.predicates = predicates;
    }

    /** Adds and deletes passed on so far. */
    long passed() {
        return passed;
    }

    private boolean wanted(Node g, Node p) {
        Node graph = g == null || Quad.isDefaultGraph(g) ? Quad.defaultGraphIRI : g;
        return (graphs.isEmpty() || graphs.contains(graph)) && (predicates.isEmpty() || predicates.contains(p));
    }

    @Override
    public void add(Node g, Node s, Node p, Node o) {
        if ( wanted(g, p) ) {
            passed++;
            super.add(g, s, p, o);
        }
    }

    @Override
    public void delete(Node g, Node s, Node p, Node o) {
        if ( wanted(g, p) ) {
            passed++;
            super.delete(g, s, p, o);
        }
    }

    @Override
    public void addPrefix(Node gn, String prefix, String uriStr) {}

    @Override
    public void deletePrefix(Node gn, String prefix) {}
}
