package org.fusekicdc.source.r2rml;

import java.util.List;

import org.apache.jena.graph.Node;

/**
 * One {@code rr:TriplesMap}.
 *
 * @param name    the triples map's IRI or blank node label, for messages
 * @param classes the {@code rr:class} IRIs of the subject map
 * @param graphs  the subject map's graph maps (apply to every triple of the map)
 */
public record TriplesMap(String name, LogicalTable table, TermMap subject, List<Node> classes, List<TermMap> graphs,
                         List<PredicateObjectMap> predicateObjectMaps) {

    /** A predicate-object map: every predicate with every object, in its graphs and the subject's. */
    public record PredicateObjectMap(List<TermMap> predicates, List<TermMap> objects, List<RefObjectMap> refs, List<TermMap> graphs) {}

    /** An object map whose objects are the subjects of another triples map, joined on the conditions. */
    public record RefObjectMap(String parentName, List<JoinCondition> joins) {}

    /** {@code rr:child} (a column of the child's logical table) equals {@code rr:parent} (of the parent's). */
    public record JoinCondition(String child, String parent) {}

    @Override
    public String toString() {
        return "triples map <" + name + ">";
    }
}
