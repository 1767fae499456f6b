package org.fusekicdc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.apache.jena.query.TxnType;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;

/**
 * The bulk load of {@link CaptureOverheadBench} without HTTP, in one JVM, with the time split
 * into streaming the triples in and the commit: N-Triples parsed straight into a fresh TDB2
 * dataset, plain and captured (default options, durable log) alternating, each first taking a
 * 100,000-triple warm-up load. Reports each load and the ratio of the medians. For finding
 * where capture's cost lies; the HTTP benchmark is the one the targets refer to.
 * <p>
 * Settings (system properties): bench.rounds (3), bench.bulkTriples (1000000), bench.dir (a
 * temporary directory, deleted at the end).
 * <pre>java -Xmx2g -XX:+UseG1GC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.InProcessBulkLoad</pre>
 */
public final class InProcessBulkLoad {
    private static final int WARM_UP = 100_000;

    private record Load(double streamSeconds, double commitSeconds) {
        double total() {
            return streamSeconds + commitSeconds;
        }
    }

    public static void main(String... args) throws IOException {
        int rounds = Integer.getInteger("bench.rounds", 3);
        int triples = Integer.getInteger("bench.bulkTriples", 1_000_000);
        String dirProperty = System.getProperty("bench.dir");
        Path root = dirProperty != null ? Files.createDirectories(Path.of(dirProperty))
                                        : Files.createTempDirectory("fuseki-cdc-bulk-");
        System.out.printf(Locale.ROOT, "In-process bulk load: %d N-Triples in one transaction, plain TDB2 and captured, %d rounds, in %s%n",
                          triples, rounds, root);
        Map<String, List<Load>> loads = new TreeMap<>();
        try {
            for ( int round = 1 ; round <= rounds ; round++ ) {
                for ( String kind : round % 2 == 1 ? List.of("plain", "capture") : List.of("capture", "plain") ) {
                    Load load = load(root.resolve(kind + "-" + round), kind.equals("capture"), triples);
                    loads.computeIfAbsent(kind, k -> new ArrayList<>()).add(load);
                    System.out.printf(Locale.ROOT, "  round %d %-8s stream %6.2f s  commit %5.2f s  total %6.2f s%n",
                                      round, kind, load.streamSeconds(), load.commitSeconds(), load.total());
                }
            }
        } finally {
            if ( dirProperty == null )
                BenchFiles.deleteTree(root);
        }
        double plain = median(loads.get("plain"));
        double capture = median(loads.get("capture"));
        System.out.printf(Locale.ROOT, "Medians: plain %.2f s, capture %.2f s; capture/plain throughput ratio %.3f%n", plain, capture, plain / capture);
    }

    private static Load load(Path dir, boolean captured, int triples) {
        DatasetGraph tdb = DatabaseMgr.connectDatasetGraph(dir.resolve("tdb").toString());
        ChangeLog log = captured ? ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds")) : null;
        DatasetGraph target = captured ? CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(dir.resolve("spill"))) : tdb;
        try {
            Txn.executeWrite(target, () -> RDFParser.source(new NTriplesStream("warmup", WARM_UP)).lang(Lang.NTRIPLES).parse(target));
            System.gc();
            long t0 = System.nanoTime();
            target.begin(TxnType.WRITE);
            try {
                RDFParser.source(new NTriplesStream("bulk", triples)).lang(Lang.NTRIPLES).parse(target.getDefaultGraph());
                long t1 = System.nanoTime();
                target.commit();
                long t2 = System.nanoTime();
                return new Load((t1 - t0) / 1e9, (t2 - t1) / 1e9);
            } finally {
                target.end();
            }
        } finally {
            if ( log != null )
                log.close();
            TDBInternal.expel(tdb);
        }
    }

    private static double median(List<Load> loads) {
        double[] totals = loads.stream().mapToDouble(Load::total).sorted().toArray();
        int n = totals.length;
        return n % 2 == 1 ? totals[n / 2] : (totals[n / 2 - 1] + totals[n / 2]) / 2;
    }
}
