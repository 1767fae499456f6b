package org.fusekicdc.bench;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.wire.PatchTextToThrift;

/**
 * What converting one patch from the change log's RDF Patch text to RDF Patch binary costs, on
 * one thread: Jena's reader and binary writer ({@link PatchTextToThrift#viaJena}, what the binary
 * format did before) against {@link PatchTextToThrift#transcode}, alternating in each round, on
 * the same patches held in memory (no log reads). Two workloads of {@code bench.patches} captured
 * patches of {@code bench.quadsPerPatch} quads: "drain", the patches of {@link SinkDeliveryBench}'s
 * throughput part (IRIs and integers, default and named graphs, adds then deletes), and "mixed"
 * (strings with escapes and non-ASCII, language tags, blank nodes, decimals, dates). Every
 * patch's two outputs are checked equal first. Medians of {@code bench.rounds} after
 * {@code bench.warmup} rounds; the load average is printed at the start and the end.
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.BinaryConversionBench</pre>
 */
public final class BinaryConversionBench {
    private static final String NS = AlternatingPatches.NS;

    private interface Conversion {
        void convert(InputStream in, ByteArrayOutputStream out) throws IOException;
    }

    public static void main(String... args) throws Exception {
        int patches = Integer.getInteger("bench.patches", 2000);
        int quadsPerPatch = Integer.getInteger("bench.quadsPerPatch", 100);
        int rounds = Integer.getInteger("bench.rounds", 9);
        int warmup = Integer.getInteger("bench.warmup", 5);
        System.out.printf(Locale.ROOT, "Load average at start: %s; %d patches x %d quads, %d rounds after %d warm-up rounds%n",
                          BenchStats.loadAverage(), patches, quadsPerPatch, rounds, warmup);
        System.out.printf(Locale.ROOT, "| Workload | Text bytes / patch | Jena µs / patch | Direct µs / patch | Jena quad changes/s | Direct quad changes/s | Direct / Jena |%n");
        System.out.printf(Locale.ROOT, "|---|---:|---:|---:|---:|---:|---:|%n");
        for ( String workload : List.of("drain", "mixed") ) {
            List<byte[]> texts = capture(workload, patches, quadsPerPatch);
            check(texts);
            Conversion jena = (in, out) -> PatchTextToThrift.viaJena(in, UnaryOperator.identity(), out);
            Conversion direct = PatchTextToThrift::transcode;
            double[] jenaTimes = new double[rounds];
            double[] directTimes = new double[rounds];
            for ( int r = -warmup ; r < rounds ; r++ ) {
                // Alternate which goes first, so that neither always runs on a warmer or cooler machine.
                double a, b;
                if ( (r & 1) == 0 ) {
                    a = time(texts, jena);
                    b = time(texts, direct);
                } else {
                    b = time(texts, direct);
                    a = time(texts, jena);
                }
                if ( r >= 0 ) {
                    jenaTimes[r] = a;
                    directTimes[r] = b;
                }
            }
            double jenaUs = median(jenaTimes) / patches * 1e6;
            double directUs = median(directTimes) / patches * 1e6;
            long textBytes = texts.stream().mapToLong(t -> t.length).sum();
            System.out.printf(Locale.ROOT, "| %s | %,d | %.1f | %.1f | %,.0f | %,.0f | **%.1f** |%n", workload, textBytes / patches, jenaUs, directUs,
                              quadsPerPatch / jenaUs * 1e6, quadsPerPatch / directUs * 1e6, jenaUs / directUs);
        }
        System.out.printf(Locale.ROOT, "Load average at end: %s%n", BenchStats.loadAverage());
    }

    /** The text of each patch, as the change log holds it. */
    private static List<byte[]> capture(String workload, int patches, int quadsPerPatch) throws IOException {
        Path root = Files.createTempDirectory("fuseki-cdc-binary-");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(root.resolve("log"), "ds").withFsync(false))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(root.resolve("spill")));
            AlternatingPatches.write(dsg, patches, quadsPerPatch,
                                     workload.equals("drain") ? AlternatingPatches::drainQuad : (g, serial, k) -> mixedQuad(g, serial));
            List<byte[]> texts = new ArrayList<>(patches);
            for ( long v = 1 ; v <= log.headVersion() ; v++ ) {
                try (InputStream in = log.read(v).openPayload()) {
                    texts.add(in.readAllBytes());
                }
            }
            dsg.close();
            return texts;
        } finally {
            IOX.deleteAll(root);
        }
    }

    private static Quad mixedQuad(Node g, long serial) {
        Node s = serial % 7 == 0 ? NodeFactory.createBlankNode() : NodeFactory.createURI(NS + "résumé/" + (serial / 3));
        Node o = switch ( (int)(serial % 6) ) {
            case 0 -> NodeFactory.createLiteralString("A \"quoted\" line\nand a tab\t, item " + serial);
            case 1 -> NodeFactory.createLiteralLang("Grüße aus Zürich " + serial, serial % 2 == 0 ? "de-CH" : "de");
            case 2 -> NodeFactory.createLiteralDT(serial + ".25", XSDDatatype.XSDdecimal);
            case 3 -> NodeFactory.createLiteralDT("2026-12-06T07:" + (10 + serial % 50) + ":00Z", XSDDatatype.XSDdateTime);
            case 4 -> NodeFactory.createBlankNode();
            default -> NodeFactory.createURI(NS + "thing/" + serial);
        };
        return Quad.create(g, s, NodeFactory.createURI(NS + "p" + (serial % 4)), o);
    }

    private static void check(List<byte[]> texts) throws IOException {
        for ( byte[] text : texts ) {
            ByteArrayOutputStream jena = new ByteArrayOutputStream();
            PatchTextToThrift.viaJena(new ByteArrayInputStream(text), UnaryOperator.identity(), jena);
            ByteArrayOutputStream direct = new ByteArrayOutputStream();
            if ( !PatchTextToThrift.transcode(new ByteArrayInputStream(text), direct) )
                throw new IllegalStateException("a patch of the log went through Jena");
            if ( !Arrays.equals(jena.toByteArray(), direct.toByteArray()) )
                throw new IllegalStateException("the two conversions differ");
        }
    }

    /** Seconds to convert every patch, each into a fresh buffer as a sink's message body is. */
    private static double time(List<byte[]> texts, Conversion conversion) throws IOException {
        long start = System.nanoTime();
        long bytes = 0;
        for ( byte[] text : texts ) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            conversion.convert(new ByteArrayInputStream(text), out);
            bytes += out.size();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if ( bytes == 0 )
            throw new IllegalStateException("nothing written");
        return seconds;
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
