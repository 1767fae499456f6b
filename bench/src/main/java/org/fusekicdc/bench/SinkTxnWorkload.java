package org.fusekicdc.bench;

import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Random;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;

/** 1-10 quads per transaction: inserts of new quads, 15 % deletes of the oldest live ones; each one a real change. */
final class SinkTxnWorkload {
    private static final String NS = "http://example.org/bench/";

    private final Random rnd;
    private final ArrayDeque<Quad> live = new ArrayDeque<>();
    private long serial;

    SinkTxnWorkload(long seed) {
        this.rnd = new Random(seed);
    }

    void next(DatasetGraph dsg) {
        int size = 1 + rnd.nextInt(10);
        if ( rnd.nextDouble() < 0.15 && live.size() >= size + 50 ) {
            for ( int i = 0 ; i < size ; i++ )
                dsg.delete(live.pollFirst());
            return;
        }
        for ( int i = 0 ; i < size ; i++ ) {
            Quad q = newQuad();
            dsg.add(q);
            live.addLast(q);
        }
    }

    private Quad newQuad() {
        long k = serial++;
        Node s = NodeFactory.createURI(NS + "item/" + (k / 5));
        Node p = NodeFactory.createURI(NS + "prop" + rnd.nextInt(20));
        Node o = switch (rnd.nextInt(5)) {
            case 0 -> NodeFactory.createURI(NS + "item/" + (k * 7919 % 100_003) + "/" + k);
            case 1 -> NodeFactory.createLiteralDT(Long.toString(k * 1000 + rnd.nextInt(1000)), XSDDatatype.XSDinteger);
            case 2 -> NodeFactory.createLiteralLang("label " + k, "en");
            case 3 -> NodeFactory.createLiteralDT(String.format(Locale.ROOT, "2026-01-%02dT%02d:%02d:%02dZ", 10 + k % 19, (k / 19) / 3600 % 24,
                                                                (k / 19) / 60 % 60, (k / 19) % 60), XSDDatatype.XSDdateTime);
            default -> NodeFactory.createLiteralString("text value " + k + " " + Long.toHexString(rnd.nextLong()));
        };
        Node g = rnd.nextBoolean() ? Quad.defaultGraphIRI : NodeFactory.createURI(NS + "graph/" + rnd.nextInt(10));
        return Quad.create(g, s, p, o);
    }
}
