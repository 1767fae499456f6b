package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What capture costs, measured side by side against plain Fuseki in one run. Every server is
 * Fuseki ({@code FusekiServerUICmd}, as {@code ./fuseki-cdc} runs it) in its own child JVM with
 * the same JVM options and a fresh directory, serving one TDB2 dataset as {@code /ds}.
 * <ol>
 * <li><b>Small transactions.</b> A seeded sequence of SPARQL Updates over HTTP, each 1-10 quads
 * ({@code INSERT DATA}, and some {@code DELETE DATA} of earlier quads), sent to three servers:
 * plain TDB2, {@code cdc:CapturedDataset} with default options, and jena-rdfpatch's own
 * {@code patch:LoggedDataset}. Each server is sent the same sequence of updates. After a
 * warm-up, many short rounds are interleaved, each giving every server one turn of fixed length
 * (the order rotates each round: a,b,c / b,c,a / c,a,b ...). Reported: txn/s per server (median
 * of the rounds), latency percentiles, and ratios to plain: of the medians, and paired (median of
 * the per-round ratios, with a bootstrap 95% interval).</li>
 * <li><b>Change feed read.</b> The captured server's {@code /ds/changes} read from version 0 to the
 * head in pages of 1000, following {@code X-CDC-Last-Version} / {@code X-CDC-Head-Version}:
 * patches/s and quads/s.</li>
 * <li><b>Bulk load.</b> A one-million-triple N-Triples upload ({@code POST /ds/data?default},
 * generated while streaming) to a fresh plain and a fresh captured server (alternating order over
 * the rounds): wall time, throughput ratio, and the server JVM's peak heap during the upload
 * (sum of the heap pools' peak use, reset after a full GC just before the upload). The last
 * captured server's feed is then read back too (a patch of a million quads).</li>
 * <li><b>Concurrent writers.</b> Plain and captured servers (fresh, same TDB2 setup) each sent
 * small transactions by 1, 4, 8 and 16 HTTP clients at once. Per client count, paired rounds:
 * one turn per server, the order alternating (a,b / b,a). Reported per client count: txn/s,
 * latency, and the capture/plain throughput ratio (median of the per-round ratios, with a
 * bootstrap 95% interval), and the machine's load average.</li>
 * </ol>
 * It prints the machine, the figures and the ratios as tables on stdout; servers' logs stay in
 * their directories under the work directory.
 *
 * <h2>Run</h2>
 * From the repository root (JDK 21 or newer as {@code java}; about 10 minutes on 2 cores):
 * <pre>
 * ./mvnw -q -B install -DskipTests
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.CaptureOverheadBench
 * </pre>
 * The build only compiles this module and writes {@code bench/target/classpath.txt}; it runs no
 * benchmark and installs nothing.
 *
 * <h2>Options</h2>
 * System properties, given as {@code -Dname=value} before the class name:
 * <table>
 * <caption>Options</caption>
 * <tr><th>Property</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>bench.parts</td><td>small,concurrent,feed,bulk</td><td>Which parts to run (feed reads the captured server of small and of bulk).</td></tr>
 * <tr><td>bench.configs</td><td>plain,capture,jenaPatchLog</td><td>Servers of the small-transaction part;
 *     {@code captureNoFsync} ({@code cdc:fsync false}) separates the cost of forcing the log to disk;
 *     {@code captureNoIndex} ({@code cdc:historyIndex false}) separates the cost of the resource-history index;
 *     {@code captureNoSpill} is also accepted.</td></tr>
 * <tr><td>bench.clients</td><td>1</td><td>Concurrent HTTP clients sending the small transactions.</td></tr>
 * <tr><td>bench.warmup</td><td>600</td><td>Warm-up transactions per server (small and concurrent parts).</td></tr>
 * <tr><td>bench.rounds</td><td>50</td><td>Measured rounds; each server takes one turn per round.</td></tr>
 * <tr><td>bench.turnSeconds</td><td>1.5</td><td>Length of a turn. Turns are short so that the machine's slow spells hit
 *     all servers alike; their length also bounds the run's time.</td></tr>
 * <tr><td>bench.txns</td><td>0</td><td>When &gt; 0, a turn is this many transactions instead of a fixed time.</td></tr>
 * <tr><td>bench.deleteFraction</td><td>0.15</td><td>Share of updates that are DELETE DATA.</td></tr>
 * <tr><td>bench.seed</td><td>20260127</td><td>Seed of the workload.</td></tr>
 * <tr><td>bench.feedRepeats</td><td>3</td><td>Full reads of the feed (median reported).</td></tr>
 * <tr><td>bench.bulkConfigs</td><td>plain,capture</td><td>Servers of the bulk part; {@code captureNoSpill}
 *     ({@code cdc:spillThreshold 10000000}) and {@code captureNoFsync} separate the costs of spilling and of the final fsync.</td></tr>
 * <tr><td>bench.bulkTriples</td><td>1000000</td><td>Triples in the bulk upload.</td></tr>
 * <tr><td>bench.bulkWarmup</td><td>100000</td><td>Triples uploaded first to warm up each fresh server (not measured).</td></tr>
 * <tr><td>bench.bulkRounds</td><td>3</td><td>Uploads per configuration (order alternates: a,b / b,a / a,b).</td></tr>
 * <tr><td>bench.concurrentConfigs</td><td>plain,capture</td><td>Servers of the concurrent part; the first is the base of the ratios.</td></tr>
 * <tr><td>bench.concurrentClients</td><td>1,4,8,16</td><td>Client counts of the concurrent part.</td></tr>
 * <tr><td>bench.concurrentRounds</td><td>12</td><td>Paired rounds per client count.</td></tr>
 * <tr><td>bench.concurrentTurnSeconds</td><td>2</td><td>Length of a turn in the concurrent part.</td></tr>
 * <tr><td>bench.heap</td><td>2g</td><td>-Xmx of every server JVM.</td></tr>
 * <tr><td>bench.jvmArgs</td><td>(none)</td><td>Extra JVM options for every server, space-separated.</td></tr>
 * <tr><td>bench.dir</td><td>the system's temporary directory</td><td>Where the run's new work directory is made.</td></tr>
 * <tr><td>bench.keep</td><td>false</td><td>Keep the work directory (databases, logs) afterwards.</td></tr>
 * </table>
 */
public final class CaptureOverheadBench {
    private static final long MB = 1024 * 1024;

    private final CaptureBenchOptions opt;
    private final HttpLoad load = new HttpLoad();
    private final BenchReport report = new BenchReport();

    private CaptureOverheadBench(CaptureBenchOptions opt) {
        this.opt = opt;
    }

    public static void main(String... args) throws Exception {
        new CaptureOverheadBench(CaptureBenchOptions.fromSystemProperties()).run();
    }

    private void run() throws Exception {
        Files.createDirectories(opt.dir());
        report.out("fuseki-cdc capture overhead benchmark, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
        machine();
        report.out("");
        long t0 = System.nanoTime();
        try {
            if ( opt.parts().contains("small") )
                new SmallTxnPart(opt, load, report).run(opt.parts().contains("feed"));
            if ( opt.parts().contains("concurrent") )
                new ConcurrentWritersPart(opt, load, report).run();
            if ( opt.parts().contains("bulk") )
                new BulkUploadPart(opt, load, report).run();
        } finally {
            if ( !opt.keep() )
                BenchFiles.deleteTree(opt.dir());
        }
        progress(String.format(Locale.ROOT, "done in %.1f min%s", (System.nanoTime() - t0) / 60e9,
                               opt.keep() ? "; files kept in " + opt.dir() : ""));
        report.printAll();
    }

    private void machine() throws IOException {
        String cpu = "unknown";
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if ( Files.isReadable(cpuinfo) ) {
            try (Stream<String> lines = Files.lines(cpuinfo)) {
                cpu = lines.filter(l -> l.startsWith("model name")).findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
            }
        }
        long mem = ((com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        FileStore fs = Files.getFileStore(opt.dir());
        report.out("Machine");
        report.out("  cores (available processors) " + Runtime.getRuntime().availableProcessors() + ", CPU " + cpu + ", RAM " + mem / MB / 1024 + " GB");
        report.out("  JDK " + System.getProperty("java.vendor") + " " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
                   + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        report.out("  work directory " + opt.dir() + " on " + fs.name() + " (" + fs.type() + ")");
        report.out("  server JVMs: " + String.join(" ", opt.serverJvm()) + "; Fuseki " + org.apache.jena.Jena.VERSION
                   + " FusekiServerUICmd, TDB2, default logging");
    }
}
