package org.fusekicdc.source.r2rml;

import java.util.List;
import java.util.function.Consumer;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.source.r2rml.TriplesMap.PredicateObjectMap;
import org.fusekicdc.source.r2rml.TriplesMap.RefObjectMap;

/**
 * The smallest part of a mapping that is evaluated on its own: the {@code rr:class} triples of a
 * triples map, the constant/column/template objects of one predicate-object map, or one
 * referencing object map (which reads a child row joined with parent rows).
 *
 * @param pom    null for the class triples
 * @param ref    set for a referencing object map
 * @param parent the parent triples map of {@code ref}
 */
record Unit(TriplesMap map, PredicateObjectMap pom, RefObjectMap ref, TriplesMap parent) {

    static Unit classes(TriplesMap map) {
        return new Unit(map, null, null, null);
    }

    /** A referencing object map with join conditions: its rows come from a joint query. */
    boolean isJoin() {
        return ref != null && !ref.joins().isEmpty();
    }

    /** The quads of a child row, joined with a parent row for a referencing object map (the same row without joins). */
    void quads(Row child, Row parentRow, String base, Consumer<Quad> out) {
        Node s;
        try {
            s = map.subject().generate(child, base);
        } catch (R2rmlException ex) {
            throw new R2rmlException(map + ": " + ex.getMessage(), ex);
        }
        quads(child, parentRow, s, base, out);
    }

    /** As {@link #quads(Row, Row, String, Consumer)}, with the child row's subject given (null: none). */
    void quads(Row child, Row parentRow, Node s, String base, Consumer<Quad> out) {
        try {
            if ( s == null )
                return;
            List<Node> graphs = TermMap.generateAll(map.graphs(), child, base);
            boolean hasGraphMaps = !map.graphs().isEmpty();
            if ( pom != null ) {
                hasGraphMaps |= !pom.graphs().isEmpty();
                graphs = new java.util.ArrayList<>(graphs);
                graphs.addAll(TermMap.generateAll(pom.graphs(), child, base));
            }
            if ( !hasGraphMaps )
                graphs = List.of(Quad.defaultGraphIRI);
            if ( pom == null ) {
                for ( Node c : map.classes() )
                    for ( Node g : graphs )
                        out.accept(Quad.create(g, s, RDF.Nodes.type, c));
                return;
            }
            List<Node> objects = ref != null ? listOf(parent.subject().generate(parentRow, base))
                                             : TermMap.generateAll(pom.objects(), child, base);
            if ( objects.isEmpty() )
                return;
            for ( Node p : TermMap.generateAll(pom.predicates(), child, base) )
                for ( Node o : objects )
                    for ( Node g : graphs )
                        out.accept(Quad.create(g, s, p, o));
        } catch (R2rmlException ex) {
            throw new R2rmlException(map + ": " + ex.getMessage(), ex);
        }
    }

    private static List<Node> listOf(Node n) {
        return n == null ? List.of() : List.of(n);
    }

    /** Whether this unit could have produced the quad (a cheap test on constants, term types and template shapes). */
    boolean mayProduce(Quad q, String base) {
        if ( !map.subject().mayProduce(q.getSubject(), base) )
            return false;
        if ( !graphMayBe(q.getGraph(), base) )
            return false;
        if ( pom == null )
            return RDF.Nodes.type.equals(q.getPredicate()) && map.classes().contains(q.getObject());
        if ( pom.predicates().stream().noneMatch(p -> p.mayProduce(q.getPredicate(), base)) )
            return false;
        if ( ref != null )
            return parent.subject().mayProduce(q.getObject(), base);
        return pom.objects().stream().anyMatch(o -> o.mayProduce(q.getObject(), base));
    }

    private boolean graphMayBe(Node g, String base) {
        boolean hasGraphMaps = !map.graphs().isEmpty() || (pom != null && !pom.graphs().isEmpty());
        if ( !hasGraphMaps )
            return Quad.isDefaultGraph(g);
        Node graph = Quad.isDefaultGraph(g) ? Quad.defaultGraphIRI : g;
        return map.graphs().stream().anyMatch(m -> m.mayProduce(graph, base))
               || (pom != null && pom.graphs().stream().anyMatch(m -> m.mayProduce(graph, base)));
    }

    /** The one predicate all the unit's quads have, or null (then any). */
    Node fixedPredicate() {
        if ( pom == null )
            return RDF.Nodes.type;
        if ( pom.predicates().size() == 1 && pom.predicates().get(0).constant() != null )
            return pom.predicates().get(0).constant();
        return null;
    }

    @Override
    public String toString() {
        return map + (pom == null ? " classes" : ref != null ? " reference to <" + ref.parentName() + ">" : " predicate-object map");
    }
}
