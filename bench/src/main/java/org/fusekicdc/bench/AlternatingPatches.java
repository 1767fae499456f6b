package org.fusekicdc.bench;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;

/**
 * The throughput benches' log: patches in pairs, the first adding a batch of quads and the second
 * deleting it again, spread over the default graph and ten named graphs; so the store stays small
 * however many patches the log gets.
 */
final class AlternatingPatches {
    static final String NS = "http://example.org/bench/";

    /** The quad number {@code k} of a batch, whose quads are numbered {@code serial} across the whole log. */
    interface QuadMaker {
        Quad quad(Node graph, long serial, int k);
    }

    private AlternatingPatches() {}

    /** Write {@code patches} transactions of {@code quadsPerPatch} quads each to {@code dsg}. */
    static void write(DatasetGraph dsg, int patches, int quadsPerPatch, QuadMaker quads) {
        List<Quad> batch = new ArrayList<>(quadsPerPatch);
        for ( int i = 0 ; i < patches ; i++ ) {
            if ( i % 2 == 0 ) {
                batch.clear();
                Node g = i % 4 == 0 ? Quad.defaultGraphIRI : NodeFactory.createURI(NS + "graph/" + (i % 10));
                for ( int k = 0 ; k < quadsPerPatch ; k++ )
                    batch.add(quads.quad(g, (long)i * quadsPerPatch + k, k));
                Txn.executeWrite(dsg, () -> batch.forEach(dsg::add));
            } else {
                Txn.executeWrite(dsg, () -> batch.forEach(dsg::delete));
            }
        }
    }

    /** The drain workload's quad: an item's integer value, five quads an item. */
    static Quad drainQuad(Node g, long serial, int k) {
        return Quad.create(g, NodeFactory.createURI(NS + "item/" + (serial / 5)), NodeFactory.createURI(NS + "value"),
                           NodeFactory.createLiteralDT(Long.toString(serial * 1000 + k), XSDDatatype.XSDinteger));
    }
}
