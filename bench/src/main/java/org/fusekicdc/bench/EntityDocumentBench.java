package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * What an entity document costs per changed subject ({@code cdc:format "entity"}, depth
 * closure, a small context). An in-memory captured dataset of {@code bench.background} subjects;
 * for 100 and 10,000 subjects per commit, a commit that changes that many subjects (each gets
 * 4 triples and a blank node with 2), then the time to build every message of that patch: read
 * as of its version (at the head: a sink that keeps up), and again after one more commit of the
 * same size (a sink one version behind: the as-of read undoes that commit). Medians of
 * {@code bench.rounds}, after warm-up rounds on a commit of {@code bench.warmup} subjects.
 * <pre>java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.EntityDocumentBench</pre>
 */
public final class EntityDocumentBench {
    private static final String NS = "http://example/";

    public static void main(String... args) throws Exception {
        int background = Integer.getInteger("bench.background", 100_000);
        int rounds = Integer.getInteger("bench.rounds", 7);
        int warmup = Integer.getInteger("bench.warmup", 300);
        Path root = Files.createTempDirectory("fuseki-cdc-entity-");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(root.resolve("log"), "ds").withFsync(false))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(root.resolve("spill")));
            AsOfSource asOf = new AsOfSource(dsg);
            MessageFormat format = FormatOptions.format(new OptionValues("bench", Map.of("format", "entity", "entityDepth", "closure",
                "entityContext", "{\"ex\": \"" + NS + "\", \"name\": \"" + NS + "name\"}")));
            Txn.executeWrite(dsg, () -> {
                for ( int i = 0 ; i < background ; i++ )
                    dsg.add(NodeFactory.createURI(NS + "g"), s(i), p("name"), NodeFactory.createLiteralString("background " + i));
            });
            // The JIT warmed on a patch of its own first (JSON-LD framing is cold otherwise).
            commit(dsg, warmup, 0);
            for ( int r = 0 ; r < 5 ; r++ )
                format.messages(new PatchRecord("ds", log.read(log.publishedVersion()), asOf), Map.of(), 1 << 20, root.resolve("tmp"), (h, v) -> {});
            System.out.printf(Locale.ROOT, "%d background subjects; %d rounds after 5 warm-up rounds of %d subjects%n", background, rounds, warmup);
            System.out.printf(Locale.ROOT, "%-10s %-8s %14s %14s %12s%n", "subjects", "read", "ms/patch", "us/subject", "bytes/doc");
            int round = 0;
            for ( int n : new int[] {100, 10_000} ) {
                commit(dsg, n, ++round);
                long version = log.publishedVersion();
                measure(format, new PatchRecord("ds", log.read(version), asOf), n, "head", rounds, root);
                commit(dsg, n, ++round);
                measure(format, new PatchRecord("ds", log.read(version), asOf), n, "1 behind", rounds, root);
            }
            dsg.close();
        } finally {
            IOX.deleteAll(root);
        }
    }

    /** Each of the first {@code n} subjects gets new values (its earlier ones from the last round deleted). */
    private static void commit(CapturingDatasetGraph dsg, int n, int round) {
        Node g = NodeFactory.createURI(NS + "g");
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < n ; i++ ) {
                Node s = s(i);
                dsg.deleteAny(g, s, p("value"), Node.ANY);
                dsg.add(g, s, p("value"), NodeFactory.createLiteralString("round " + round));
                dsg.add(g, s, p("type"), NodeFactory.createURI(NS + "Thing"));
                dsg.add(g, s, p("rank"), NodeFactory.createLiteralString(Integer.toString(i)));
                Node b = NodeFactory.createBlankNode();
                dsg.add(g, s, p("address"), b);
                dsg.add(g, b, p("city"), NodeFactory.createLiteralString("city " + i % 50));
                dsg.add(g, b, p("round"), NodeFactory.createLiteralString(Integer.toString(round)));
            }
        });
    }

    private static void measure(MessageFormat format, PatchRecord patch, int n, String read, int rounds, Path root) throws Exception {
        long[] times = new long[rounds];
        long[] bytes = {0};
        long[] messages = {0};
        for ( int r = 0 ; r < rounds ; r++ ) {
            bytes[0] = 0;
            messages[0] = 0;
            long t0 = System.nanoTime();
            format.messages(patch, Map.of(), 1 << 20, root.resolve("tmp"), (h, v) -> {
                bytes[0] += v.length;
                messages[0]++;
            });
            times[r] = System.nanoTime() - t0;
        }
        if ( messages[0] != n )
            throw new IllegalStateException("expected " + n + " messages, got " + messages[0]);
        Arrays.sort(times);
        double ms = times[rounds / 2] / 1e6;
        System.out.printf(Locale.ROOT, "%-10d %-8s %14.1f %14.1f %12d%n", n, read, ms, ms * 1000 / n, bytes[0] / n);
    }

    private static Node s(int i) {
        return NodeFactory.createURI(NS + "s" + i);
    }

    private static Node p(String local) {
        return NodeFactory.createURI(NS + local);
    }
}
