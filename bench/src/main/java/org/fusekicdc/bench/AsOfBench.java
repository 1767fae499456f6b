package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;

/**
 * What an as-of query costs against how far back it reaches. A TDB2 store of
 * {@code bench.triples} triples (100,000 subjects with 10 predicates each) is loaded without
 * capture, then {@code bench.versions} captured transactions each change one subject's
 * {@code p0} value (one quad deleted, one added). Then, for 0 (the current state, Jena's TDB2
 * query engine), 1, 100 and 10,000 versions back, the median time of: building the undo
 * ({@link NetChange} from the log), a point query ({@code <s> ?p ?o}), and a scan of one
 * predicate ({@code COUNT} of {@code ?s <p0> ?o}, a tenth of the store), each in its own read.
 * <p>
 * Settings (system properties): bench.triples (1000000), bench.versions (10000), bench.rounds (9),
 * bench.dir (a temporary directory, deleted at the end; a given one is kept, and used again by a
 * later run with the same settings, without loading).
 * <pre>java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.AsOfBench</pre>
 */
public final class AsOfBench {
    private static final String NS = "http://example/";
    private static final int PREDICATES = 10;

    public static void main(String... args) throws Exception {
        int triples = Integer.getInteger("bench.triples", 1_000_000);
        int versions = Integer.getInteger("bench.versions", 10_000);
        int rounds = Integer.getInteger("bench.rounds", 9);
        String dirProperty = System.getProperty("bench.dir");
        Path root = dirProperty != null ? Files.createDirectories(Path.of(dirProperty)) : Files.createTempDirectory("fuseki-cdc-asof-");
        DatasetGraph store = TDB2Factory.connectDataset(root.resolve("tdb2").toString()).asDatasetGraph();
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(root.resolve("log"), "ds").withFsync(false))) {
            int subjects = triples / PREDICATES;
            // A bench.dir kept from an earlier run with the same settings is used again as it is.
            boolean reuse = log.publishedVersion() == versions;
            long t0 = System.nanoTime();
            if ( !reuse )
                load(store, subjects);
            long t1 = System.nanoTime();
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(store, log, CaptureConfig.defaults(root.resolve("spill")));
            Random rnd = new Random(42);
            long[] value = new long[subjects];
            for ( int v = 0 ; v < (reuse ? 0 : versions) ; v++ ) {
                int s = rnd.nextInt(subjects);
                long old = value[s];
                long now = 1_000_000L + v;
                value[s] = now;
                Txn.executeWrite(dsg, () -> {
                    dsg.delete(quad(s, 0, old));
                    dsg.add(quad(s, 0, now));
                });
            }
            long t2 = System.nanoTime();
            if ( reuse )
                System.out.printf(Locale.ROOT, "store: %d triples and %d captured versions, from %s%n", Txn.calculateRead(store, () -> store.stream().count()), versions, root);
            else
                System.out.printf(Locale.ROOT, "store: %d triples loaded in %.1f s; %d captured versions (1 quad deleted, 1 added each) in %.1f s (%.2f ms/commit)%n",
                                  Txn.calculateRead(store, () -> store.stream().count()), (t1 - t0) / 1e9, versions, (t2 - t1) / 1e9, (t2 - t1) / 1e6 / versions);
            String point = "SELECT ?p ?o { <" + NS + "s" + rnd.nextInt(subjects) + "> ?p ?o }";
            String scan = "SELECT (COUNT(*) AS ?n) { ?s <" + NS + "p0> ?o }";
            long head = log.publishedVersion();
            System.out.printf(Locale.ROOT, "%-14s %14s %12s %12s %12s   (medians of %d)%n", "versions back", "changed quads", "undo", "point query", "p0 scan", rounds);
            for ( long back : List.of(0L, 1L, 100L, 10_000L) ) {
                if ( back > head )
                    continue;
                long version = head - back;
                double[] undo = new double[rounds];
                double[] pointT = new double[rounds];
                double[] scanT = new double[rounds];
                long changed = 0;
                long count = -1;
                for ( int r = 0 ; r < rounds ; r++ ) {
                    long a = System.nanoTime();
                    NetChange net = NetChange.between(log, version, head, AsOfRead.DEFAULT_MAX_CHANGED_QUADS);
                    undo[r] = (System.nanoTime() - a) / 1e6;
                    long[] n = { 0 };
                    net.forEachAdded(q -> n[0]++);
                    net.forEachRemoved(q -> n[0]++);
                    changed = n[0];
                    pointT[r] = timeQuery(dsg, version, point)[0];
                    double[] s = timeQuery(dsg, version, scan);
                    scanT[r] = s[0];
                    count = (long)s[1];
                }
                if ( count != subjects )
                    throw new IllegalStateException("the p0 scan as of version " + version + " counted " + count + ", not " + subjects);
                System.out.printf(Locale.ROOT, "%-14d %14d %9.2f ms %9.2f ms %9.2f ms%n", back, changed, median(undo), median(pointT), median(scanT));
            }
        } finally {
            TDBInternal.expel(store);
            if ( dirProperty == null )
                IOX.deleteAll(root);
        }
    }

    private static void load(DatasetGraph store, int subjects) {
        int batch = 10_000;
        for ( int from = 0 ; from < subjects ; from += batch ) {
            int f = from;
            Txn.executeWrite(store, () -> {
                for ( int s = f ; s < Math.min(subjects, f + batch) ; s++ )
                    for ( int p = 0 ; p < PREDICATES ; p++ )
                        store.add(quad(s, p, p == 0 ? 0 : s));
            });
        }
    }

    private static Quad quad(int s, int p, long o) {
        return Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI(NS + "s" + s), NodeFactory.createURI(NS + "p" + p),
                           NodeFactory.createLiteralDT(Long.toString(o), org.apache.jena.datatypes.xsd.XSDDatatype.XSDinteger));
    }

    /** Milliseconds for the whole read (begin, undo, query, end), and the first row's first value when it is a number. */
    private static double[] timeQuery(CapturingDatasetGraph dsg, long version, String query) {
        long a = System.nanoTime();
        double first = -1;
        try (AsOfRead read = AsOfRead.begin(dsg, version, AsOfRead.DEFAULT_MAX_CHANGED_QUADS);
             QueryExecution qe = QueryExecutionFactory.create(query, DatasetFactory.wrap(read.dataset()))) {
            var rs = qe.execSelect();
            while ( rs.hasNext() ) {
                var row = rs.next();
                Node n = row.contains("n") ? row.get("n").asNode() : null;
                if ( n != null && n.isLiteral() )
                    first = Double.parseDouble(n.getLiteralLexicalForm());
            }
        }
        return new double[] { (System.nanoTime() - a) / 1e6, first };
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
