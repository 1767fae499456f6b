package org.fusekicdc.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.HistoryIndex;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;

/**
 * What the history index costs and how fast it answers. A captured in-memory dataset (no fsync,
 * so that the index's own work is what is timed) takes {@code bench.versions} small transactions
 * of 1-10 quads, subjects drawn so that a few are changed often and most rarely; the index
 * follows on its own thread. Reported:
 * <ul>
 * <li>the index's time per commit (measured on its thread) and its size per commit;</li>
 * <li>lookup time of the first page (100 versions) for a subject changed very often, one changed
 *     a few times, one never changed (the worst case: every partition's bucket is read), and of
 *     every page of the most changed subject; median and 99th percentile of
 *     {@code bench.lookups} lookups;</li>
 * <li>the time to rebuild the whole index from the log after it is deleted.</li>
 * </ul>
 * Settings (system properties): bench.versions (100000), bench.lookups (200), bench.partitionEntries
 * (the default, 1048576), bench.dir (a temporary directory, deleted at the end).
 * <pre>java -Xmx1g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.HistoryIndexBench</pre>
 * The capture ratio with the index running is measured by {@link CaptureOverheadBench} (part small).
 */
public final class HistoryIndexBench {
    private static final String NS = "http://example/bench/";
    private static final int SUBJECTS = 50_000;

    public static void main(String... args) throws Exception {
        int versions = Integer.getInteger("bench.versions", 100_000);
        int lookups = Integer.getInteger("bench.lookups", 200);
        long partitionEntries = Long.getLong("bench.partitionEntries", HistoryIndex.DEFAULT_PARTITION_ENTRIES);
        String dirProperty = System.getProperty("bench.dir");
        Path root = dirProperty != null ? Files.createDirectories(Path.of(dirProperty)) : Files.createTempDirectory("fuseki-cdc-history-");
        try {
            run(root, versions, lookups, partitionEntries);
        } finally {
            if ( dirProperty == null )
                IOX.deleteAll(root);
        }
    }

    private static Node subject(int i) {
        return NodeFactory.createURI(NS + "s" + i);
    }

    /** Subject 0 is in about 1 transaction in 20; the rest are spread with a heavy tail. */
    private static int pickSubject(Random r) {
        if ( r.nextInt(20) == 0 )
            return 0;
        double u = r.nextDouble();
        return 1 + (int)((SUBJECTS - 1) * u * u * u);
    }

    private static void run(Path root, int versions, int lookups, long partitionEntries) throws Exception {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(root.resolve("log"), "ds").withFsync(false));
        DatasetGraph base = DatasetGraphFactory.createTxnMem();
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(root.resolve("spill")));
        HistoryIndex index = HistoryIndex.open(log, partitionEntries);
        Random r = new Random(20261205);
        int[] changes = new int[SUBJECTS];
        long quads = 0;
        long t0 = System.nanoTime();
        for ( int v = 0 ; v < versions ; v++ ) {
            int n = 1 + r.nextInt(10);
            int[] picked = new int[n];
            for ( int k = 0 ; k < n ; k++ )
                picked[k] = pickSubject(r);
            int version = v;
            Txn.executeWrite(dsg, () -> {
                for ( int k = 0 ; k < n ; k++ ) {
                    Node s = subject(picked[k]);
                    dsg.add(Quad.create(Quad.defaultGraphIRI, s, NodeFactory.createURI(NS + "p" + (k % 4)),
                                        NodeFactory.createLiteralString("v" + version + "-" + k)));
                }
            });
            for ( int k = 0 ; k < n ; k++ )
                changes[picked[k]]++;
            quads += n;
        }
        double writeSeconds = (System.nanoTime() - t0) / 1e9;
        if ( !index.awaitIndexed(log.publishedVersion(), Duration.ofMinutes(10)) )
            throw new IllegalStateException("the index did not catch up");
        double catchUpSeconds = (System.nanoTime() - t0) / 1e9 - writeSeconds;
        double perCommitUs = index.indexNanos() / 1e3 / index.indexedVersions();
        double cpuPerCommitUs = indexThreadCpuNanos() / 1e3 / index.indexedVersions();
        double bytesPerCommit = (double)index.sizeBytes() / versions;
        System.out.printf(Locale.ROOT, "History index: %d versions, %d quads (%d subjects, the busiest in %d versions), written in %.1f s"
                                       + " (%.0f txn/s in memory); index caught up %.2f s after the last commit%n",
                          versions, quads, SUBJECTS, changes[0], writeSeconds, versions / writeSeconds, catchUpSeconds);
        System.out.printf(Locale.ROOT, "  index cost per commit: %.1f us of CPU on the index thread (%.1f us elapsed); %.0f bytes on disk per commit (%.1f MB in all)%n",
                          cpuPerCommitUs, perCommitUs, bytesPerCommit, index.sizeBytes() / 1e6);
        int mediumFound = 1;
        int absent = -1;
        for ( int i = SUBJECTS - 1 ; i > 0 ; i-- ) {
            if ( changes[i] >= 3 && changes[i] <= 6 )
                mediumFound = i;
            if ( absent < 0 && changes[i] == 0 )
                absent = i;
        }
        int medium = mediumFound;
        Node none = absent >= 0 ? subject(absent) : NodeFactory.createURI(NS + "never");
        lookup("busiest subject, first page", () -> index.lookup(subject(0), null, null, 0, Long.MAX_VALUE, 100), lookups);
        lookup("subject changed " + changes[medium] + " times, first page", () -> index.lookup(subject(medium), null, null, 0, Long.MAX_VALUE, 100),
               lookups);
        lookup("subject never changed", () -> index.lookup(none, null, null, 0, Long.MAX_VALUE, 100), lookups);
        lookup("busiest subject, all " + changes[0] + " versions in pages of 1000", () -> {
            long before = Long.MAX_VALUE;
            while ( true ) {
                HistoryIndex.Page p = index.lookup(subject(0), null, null, 0, before, 1000);
                if ( !p.more() )
                    return p;
                before = p.changes().getLast().version();
            }
        }, Math.max(5, lookups / 20));
        index.close();
        IOX.deleteAll(root.resolve("log").resolve(HistoryIndex.DIR).toString());
        long r0 = System.nanoTime();
        HistoryIndex rebuilt = HistoryIndex.open(log, partitionEntries);
        if ( !rebuilt.awaitIndexed(log.publishedVersion(), Duration.ofMinutes(10)) )
            throw new IllegalStateException("the rebuilt index did not catch up");
        double rebuildSeconds = (System.nanoTime() - r0) / 1e9;
        System.out.printf(Locale.ROOT, "  rebuild from the log after deletion: %.1f s (%.0f versions/s)%n", rebuildSeconds, versions / rebuildSeconds);
        rebuilt.close();
        log.close();
    }

    /** CPU time of the index's thread so far (it does nothing but index). */
    private static long indexThreadCpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for ( Thread t : Thread.getAllStackTraces().keySet() ) {
            if ( t.getName().startsWith("cdc-history-") )
                return mx.getThreadCpuTime(t.threadId());
        }
        throw new IllegalStateException("no history index thread");
    }

    private interface Lookup {
        HistoryIndex.Page run();
    }

    private static void lookup(String what, Lookup lookup, int n) {
        for ( int i = 0 ; i < Math.min(20, n) ; i++ )
            lookup.run();
        double[] ms = new double[n];
        int found = 0;
        for ( int i = 0 ; i < n ; i++ ) {
            long t = System.nanoTime();
            found = lookup.run().changes().size();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf(Locale.ROOT, "  lookup, %s: median %.3f ms, p99 %.3f ms (%d versions on the last page)%n", what, ms[n / 2],
                          ms[Math.min(n - 1, (int)(n * 0.99))], found);
    }

    private HistoryIndexBench() {}
}
