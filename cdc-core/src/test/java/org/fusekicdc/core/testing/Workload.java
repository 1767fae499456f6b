package org.fusekicdc.core.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;

/**
 * A small random write workload: each transaction adds a few quads in a few graphs, deletes some
 * added earlier, now and then changes a prefix or writes nothing new (no version).
 */
public final class Workload {
    private static final String NS = "http://example/";
    private final Random random;
    private final String tag;
    private final List<Quad> present = new ArrayList<>();
    private int counter;

    public Workload(long seed, String tag) {
        this.random = new Random(seed);
        this.tag = tag;
    }

    /** One write transaction. */
    public void step(DatasetGraph dsg) {
        Txn.executeWrite(dsg, () -> {
            int adds = 1 + random.nextInt(4);
            for ( int i = 0 ; i < adds ; i++ ) {
                Quad q = quad();
                dsg.add(q);
                present.add(q);
            }
            if ( !present.isEmpty() && random.nextInt(3) == 0 )
                dsg.delete(present.remove(random.nextInt(present.size())));
            if ( random.nextInt(20) == 0 )
                dsg.prefixes().add("p" + random.nextInt(5), NS + "prefix/" + tag + "/" + counter + "/");
            if ( random.nextInt(25) == 0 && !present.isEmpty() )
                dsg.add(present.get(random.nextInt(present.size())));  // no-op: already there
        });
    }

    private Quad quad() {
        int n = counter++;
        Node g = random.nextInt(3) == 0 ? Quad.defaultGraphIRI : NodeFactory.createURI(NS + "g" + random.nextInt(3));
        Node s = NodeFactory.createURI(NS + tag + "/s" + n);
        Node p = NodeFactory.createURI(NS + "p" + random.nextInt(4));
        Node o = random.nextBoolean() ? NodeFactory.createLiteralString("value " + n + " \u00e9\u00e8 \"quoted\"")
                                      : NodeFactory.createURI(NS + "o" + random.nextInt(100));
        return Quad.create(g, s, p, o);
    }
}
