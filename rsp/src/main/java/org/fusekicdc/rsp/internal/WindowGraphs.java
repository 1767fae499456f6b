package org.fusekicdc.rsp.internal;

import java.time.Instant;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.graph.GraphFactory;
import org.fusekicdc.rsp.RspVocab;

/**
 * A window's content as the graph WINDOW blocks match: its quads' triples, and for each event
 * {@code ?s cdc:time ?t} and {@code ?s cdc:version ?v} on the event's subject.
 */
final class WindowGraphs {
    private WindowGraphs() {}

    static Graph of(WindowView view) {
        Graph g = GraphFactory.createGraphMem();
        view.forEach(e -> add(g, e));
        return g;
    }

    static void add(Graph g, Event e) {
        g.add(e.triple());
        g.add(Triple.create(e.subject(), RspVocab.TIME, time(e.time())));
        g.add(Triple.create(e.subject(), RspVocab.VERSION, version(e.version())));
    }

    static Node time(long millis) {
        return NodeFactory.createLiteralDT(Instant.ofEpochMilli(millis).toString(), XSDDatatype.XSDdateTime);
    }

    static Node version(long version) {
        return NodeFactory.createLiteralDT(Long.toString(version), XSDDatatype.XSDinteger);
    }
}
