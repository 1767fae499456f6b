package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;

/**
 * A random workload over few subjects, predicates and graphs (so that versions touch the same
 * quads again and again), and the answers a history lookup must give, found by scanning the log.
 */
final class HistoryFixture {
    static final String NS = "http://example/h/";
    static final List<Node> SUBJECTS = nodes("s", 12);
    static final List<Node> PREDICATES = nodes("p", 3);
    static final List<Node> GRAPHS = List.of(Quad.defaultGraphIRI, NodeFactory.createURI(NS + "g1"), NodeFactory.createURI(NS + "g2"));

    private HistoryFixture() {}

    private static List<Node> nodes(String prefix, int n) {
        List<Node> out = new ArrayList<>();
        for ( int i = 0 ; i < n ; i++ )
            out.add(NodeFactory.createURI(NS + prefix + i));
        return out;
    }

    static Quad randomQuad(Random r) {
        Node o = r.nextBoolean() ? NodeFactory.createLiteralString("v" + r.nextInt(4)) : NodeFactory.createURI(NS + "o" + r.nextInt(4));
        return Quad.create(GRAPHS.get(r.nextInt(GRAPHS.size())), SUBJECTS.get(r.nextInt(SUBJECTS.size())),
                           PREDICATES.get(r.nextInt(PREDICATES.size())), o);
    }

    /** {@code n} write transactions of a few random adds and deletes each (some change nothing and log no version). */
    static void workload(DatasetGraph dsg, Random r, int n) {
        for ( int i = 0 ; i < n ; i++ ) {
            Txn.executeWrite(dsg, () -> {
                int ops = 1 + r.nextInt(6);
                for ( int k = 0 ; k < ops ; k++ ) {
                    Quad q = randomQuad(r);
                    if ( r.nextInt(3) == 0 )
                        dsg.delete(q);
                    else
                        dsg.add(q);
                }
                if ( r.nextInt(10) == 0 )
                    dsg.prefixes().add("x", NS + "x" + r.nextInt(3));
            });
        }
    }

    /** The quads of one record, with {@code true} for adds. */
    static List<Object[]> quadsOf(LogRecord record) {
        List<Object[]> out = new ArrayList<>();
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node p, Node o) {
                    out.add(new Object[] {Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o), true});
                }

                @Override
                public void delete(Node g, Node s, Node p, Node o) {
                    out.add(new Object[] {Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o), false});
                }
            });
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out;
    }

    /** The history of a subject (predicate, graph: null for any) by scanning every record still in the log, newest first. */
    static List<HistoryIndex.Change> scan(ChangeLog log, Node s, Node p, Node g) {
        TreeMap<Long, long[]> found = new TreeMap<>();
        for ( long v = log.firstVersion() ; v <= log.publishedVersion() ; v++ ) {
            for ( Object[] e : quadsOf(log.read(v)) ) {
                Quad q = (Quad)e[0];
                if ( !q.getSubject().equals(s) || (p != null && !q.getPredicate().equals(p)) || (g != null && !q.getGraph().equals(g)) )
                    continue;
                found.computeIfAbsent(v, x -> new long[2])[(Boolean)e[1] ? 0 : 1]++;
            }
        }
        List<HistoryIndex.Change> out = new ArrayList<>();
        found.descendingMap().forEach((v, c) -> out.add(new HistoryIndex.Change(v, c[0], c[1])));
        return out;
    }

    /** Every page of a lookup, followed with {@code before} = the last version of the previous page. */
    static List<HistoryIndex.Change> allPages(HistoryIndex index, Node s, Node p, Node g, int limit) {
        List<HistoryIndex.Change> out = new ArrayList<>();
        long before = Long.MAX_VALUE;
        while ( true ) {
            HistoryIndex.Page page = index.lookup(s, p, g, 0, before, limit);
            out.addAll(page.changes());
            if ( !page.more() )
                return out;
            if ( page.changes().size() != limit )
                throw new AssertionError("a page with more after it must be full: " + page);
            before = page.changes().getLast().version();
        }
    }
}
