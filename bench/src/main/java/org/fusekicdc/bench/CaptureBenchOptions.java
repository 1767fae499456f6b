package org.fusekicdc.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** The options of {@link CaptureOverheadBench}, read from system properties (listed in its javadoc). */
record CaptureBenchOptions(List<String> parts, List<ServerKind> configs, int clients, int warmup, int rounds, int txns, double turnSeconds,
                           double deleteFraction, long seed, int feedRepeats, List<ServerKind> bulkConfigs, long bulkTriples, long bulkWarmup,
                           int bulkRounds, List<ServerKind> concurrentConfigs, List<Integer> concurrentClients, int concurrentRounds,
                           double concurrentTurnSeconds, String heap, List<String> jvmArgs, Path dir, boolean keep) {

    static CaptureBenchOptions fromSystemProperties() throws IOException {
        String dir = System.getProperty("bench.dir");
        // Always a new directory (it is deleted at the end unless kept), under bench.dir if given.
        Path work;
        if ( dir != null ) {
            Path parent = Files.createDirectories(Path.of(dir).toAbsolutePath());
            work = Files.createTempDirectory(parent, "fuseki-cdc-bench-");
        } else {
            work = Files.createTempDirectory("fuseki-cdc-bench-");
        }
        String extra = System.getProperty("bench.jvmArgs", "").trim();
        return new CaptureBenchOptions(list(System.getProperty("bench.parts", "small,concurrent,feed,bulk")),
                                       kinds(System.getProperty("bench.configs", "plain,capture,jenaPatchLog")),
                                       Integer.getInteger("bench.clients", 1),
                                       Integer.getInteger("bench.warmup", 600),
                                       Integer.getInteger("bench.rounds", 50),
                                       Integer.getInteger("bench.txns", 0),
                                       Double.parseDouble(System.getProperty("bench.turnSeconds", "1.5")),
                                       Double.parseDouble(System.getProperty("bench.deleteFraction", "0.15")),
                                       Long.getLong("bench.seed", 20260127L),
                                       Integer.getInteger("bench.feedRepeats", 3),
                                       kinds(System.getProperty("bench.bulkConfigs", "plain,capture")),
                                       Long.getLong("bench.bulkTriples", 1_000_000L),
                                       Long.getLong("bench.bulkWarmup", 100_000L),
                                       Integer.getInteger("bench.bulkRounds", 3),
                                       kinds(System.getProperty("bench.concurrentConfigs", "plain,capture")),
                                       list(System.getProperty("bench.concurrentClients", "1,4,8,16")).stream().map(Integer::valueOf).toList(),
                                       Integer.getInteger("bench.concurrentRounds", 12),
                                       Double.parseDouble(System.getProperty("bench.concurrentTurnSeconds", "2")),
                                       System.getProperty("bench.heap", "2g"),
                                       extra.isEmpty() ? List.of() : List.of(extra.split("\\s+")),
                                       work,
                                       Boolean.getBoolean("bench.keep"));
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static List<ServerKind> kinds(String csv) {
        return list(csv).stream().map(ServerKind::byId).toList();
    }

    /** The same JVM options for every server. */
    List<String> serverJvm() {
        List<String> a = new ArrayList<>(List.of("-Xmx" + heap, "-XX:+UseG1GC"));
        if ( Runtime.version().feature() >= 24 )
            a.add("--sun-misc-unsafe-memory-access=allow");  // quiet the warning of libraries using sun.misc.Unsafe
        a.addAll(jvmArgs);
        return a;
    }
}
