package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.live.QueryPatterns.QuadPattern;

/**
 * Finds the subscriptions a changed quad can affect without looking at the others. Each
 * pattern is filed under one of its constant terms (subject, else object IRI, else
 * predicate, else graph, else a wildcard list); a changed quad probes one bucket per position,
 * so the cost of matching depends on the change, not on how many unrelated queries exist.
 *
 * @param <G> what a pattern belongs to (a live query group)
 */
final class PatternIndex<G> {
    private record Entry<G>(G owner, QuadPattern pattern) {}

    private final Map<Node, List<Entry<G>>> bySubject = new HashMap<>();
    private final Map<Node, List<Entry<G>>> byObject = new HashMap<>();
    private final Map<Node, List<Entry<G>>> byPredicate = new HashMap<>();
    private final Map<Node, List<Entry<G>>> byGraph = new HashMap<>();
    private final List<Entry<G>> wildcard = new ArrayList<>();
    private final boolean unionDefaultGraph;

    /** @param unionDefaultGraph the dataset's default graph is the union of its named graphs */
    PatternIndex(boolean unionDefaultGraph) {
        this.unionDefaultGraph = unionDefaultGraph;
    }

    boolean unionDefaultGraph() {
        return unionDefaultGraph;
    }

    void add(G owner, List<QuadPattern> patterns) {
        for ( QuadPattern p : patterns )
            bucket(p).add(new Entry<>(owner, p));
    }

    void remove(G owner, List<QuadPattern> patterns) {
        for ( QuadPattern p : patterns ) {
            List<Entry<G>> b = bucket(p);
            b.removeIf(e -> e.owner() == owner);
        }
    }

    private List<Entry<G>> bucket(QuadPattern p) {
        if ( p.subject() != Node.ANY )
            return bySubject.computeIfAbsent(p.subject(), k -> new ArrayList<>());
        if ( p.object() != Node.ANY && !p.object().isLiteral() )
            return byObject.computeIfAbsent(p.object(), k -> new ArrayList<>());
        if ( p.predicate() != Node.ANY )
            return byPredicate.computeIfAbsent(p.predicate(), k -> new ArrayList<>());
        if ( p.graph() != Node.ANY && !Quad.isDefaultGraph(p.graph()) )
            return byGraph.computeIfAbsent(p.graph(), k -> new ArrayList<>());
        return wildcard;
    }

    /** Add to {@code out} the owners of every pattern the quad matches. */
    void affected(Quad q, Set<G> out) {
        probe(bySubject.get(q.getSubject()), q, out);
        if ( !q.getObject().isLiteral() )
            probe(byObject.get(q.getObject()), q, out);
        probe(byPredicate.get(q.getPredicate()), q, out);
        probe(byGraph.get(q.getGraph()), q, out);
        probe(wildcard, q, out);
    }

    private void probe(List<Entry<G>> entries, Quad q, Set<G> out) {
        if ( entries == null )
            return;
        for ( Entry<G> e : entries ) {
            if ( !out.contains(e.owner()) && matches(e.pattern(), q) )
                out.add(e.owner());
        }
    }

    private boolean matches(QuadPattern p, Quad q) {
        return graphMatches(p.graph(), q.getGraph())
               && term(p.subject(), q.getSubject()) && term(p.predicate(), q.getPredicate()) && term(p.object(), q.getObject());
    }

    private boolean graphMatches(Node pattern, Node g) {
        boolean quadInDefault = g == null || Quad.isDefaultGraph(g);
        if ( Quad.isDefaultGraph(pattern) )
            return unionDefaultGraph ? !quadInDefault : quadInDefault;
        if ( pattern == Node.ANY )
            return !quadInDefault;
        return pattern.equals(g);
    }

    private static boolean term(Node pattern, Node n) {
        if ( pattern == Node.ANY || pattern.equals(n) )
            return true;
        // A literal constant matches by value as the store does ("01"^^xsd:integer is 1).
        return pattern.isLiteral() && n.isLiteral() && pattern.sameValueAs(n);
    }

    int size() {
        int n = wildcard.size();
        for ( Map<Node, List<Entry<G>>> m : List.of(bySubject, byObject, byPredicate, byGraph) )
            for ( List<Entry<G>> l : m.values() )
                n += l.size();
        return n;
    }
}
