package org.fusekicdc.bench;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
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
 * </ol>
 * It prints the machine, the figures and the ratios as tables on stdout; servers' logs stay in
 * their directories under the work directory.
 *
 * <h2>Run</h2>
 * From the repository root (JDK 21 or newer as {@code java}; about 6 minutes on 2 cores):
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
 * <tr><td>bench.parts</td><td>small,feed,bulk</td><td>Which parts to run (feed reads the captured server of small and of bulk).</td></tr>
 * <tr><td>bench.configs</td><td>plain,capture,jenaPatchLog</td><td>Servers of the small-transaction part;
 *     {@code captureNoFsync} ({@code cdc:fsync false}) separates the cost of forcing the log to disk;
 *     {@code captureNoSpill} is also accepted.</td></tr>
 * <tr><td>bench.clients</td><td>1</td><td>Concurrent HTTP clients sending the small transactions.</td></tr>
 * <tr><td>bench.warmup</td><td>600</td><td>Warm-up transactions per server.</td></tr>
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
 * <tr><td>bench.heap</td><td>2g</td><td>-Xmx of every server JVM.</td></tr>
 * <tr><td>bench.jvmArgs</td><td>(none)</td><td>Extra JVM options for every server, space-separated.</td></tr>
 * <tr><td>bench.dir</td><td>the system's temporary directory</td><td>Where the run's new work directory is made.</td></tr>
 * <tr><td>bench.keep</td><td>false</td><td>Keep the work directory (databases, logs) afterwards.</td></tr>
 * </table>
 */
public final class CaptureOverheadBench {
    private static final String UPDATE_TYPE = "application/sparql-update";
    private static final String COUNT_QUERY = "SELECT (COUNT(*) AS ?n) { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
    private static final long MB = 1024 * 1024;

    private final Options opt;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                                              .connectTimeout(Duration.ofSeconds(10)).build();
    private final List<String> report = new ArrayList<>();

    private CaptureOverheadBench(Options opt) {
        this.opt = opt;
    }

    public static void main(String... args) throws Exception {
        Options opt = Options.fromSystemProperties();
        new CaptureOverheadBench(opt).run();
    }

    // ---- Options

    private record Options(List<String> parts, List<ServerKind> configs, int clients, int warmup, int rounds, int txns, double turnSeconds,
                           double deleteFraction, long seed, int feedRepeats, List<ServerKind> bulkConfigs, long bulkTriples, long bulkWarmup, int bulkRounds,
                           String heap, List<String> jvmArgs, Path dir, boolean keep) {

        static Options fromSystemProperties() throws IOException {
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
            return new Options(list(System.getProperty("bench.parts", "small,feed,bulk")),
                               list(System.getProperty("bench.configs", "plain,capture,jenaPatchLog")).stream().map(ServerKind::byId).toList(),
                               Integer.getInteger("bench.clients", 1),
                               Integer.getInteger("bench.warmup", 600),
                               Integer.getInteger("bench.rounds", 50),
                               Integer.getInteger("bench.txns", 0),
                               Double.parseDouble(System.getProperty("bench.turnSeconds", "1.5")),
                               Double.parseDouble(System.getProperty("bench.deleteFraction", "0.15")),
                               Long.getLong("bench.seed", 20260127L),
                               Integer.getInteger("bench.feedRepeats", 3),
                               list(System.getProperty("bench.bulkConfigs", "plain,capture")).stream().map(ServerKind::byId).toList(),
                               Long.getLong("bench.bulkTriples", 1_000_000L),
                               Long.getLong("bench.bulkWarmup", 100_000L),
                               Integer.getInteger("bench.bulkRounds", 3),
                               System.getProperty("bench.heap", "2g"),
                               extra.isEmpty() ? List.of() : List.of(extra.split("\\s+")),
                               work,
                               Boolean.getBoolean("bench.keep"));
        }

        private static List<String> list(String csv) {
            return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
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

    // ---- Run

    private void run() throws Exception {
        Files.createDirectories(opt.dir());
        out("fuseki-cdc capture overhead benchmark, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
        machine();
        out("");
        long t0 = System.nanoTime();
        try {
            if ( opt.parts().contains("small") )
                smallTransactions(opt.parts().contains("feed"));
            if ( opt.parts().contains("bulk") )
                bulk();
        } finally {
            if ( !opt.keep() )
                BenchFiles.deleteTree(opt.dir());
        }
        progress(String.format(Locale.ROOT, "done in %.1f min%s", (System.nanoTime() - t0) / 60e9,
                               opt.keep() ? "; files kept in " + opt.dir() : ""));
        System.out.println();
        System.out.println("=".repeat(100));
        report.forEach(System.out::println);
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
        out("Machine");
        out("  cores (available processors) " + Runtime.getRuntime().availableProcessors() + ", CPU " + cpu + ", RAM " + mem / MB / 1024 + " GB");
        out("  JDK " + System.getProperty("java.vendor") + " " + Runtime.version() + " (" + System.getProperty("java.vm.name") + "), "
            + System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        out("  work directory " + opt.dir() + " on " + fs.name() + " (" + fs.type() + ")");
        out("  server JVMs: " + String.join(" ", opt.serverJvm()) + "; Fuseki " + org.apache.jena.Jena.VERSION
            + " FusekiServerUICmd, TDB2, default logging");
    }

    // ---- Part 1 (and 3): small transactions, then the feed of the captured server

    private record Round(double txnPerSec, long[] latencyNanos) {}

    private void smallTransactions(boolean feedToo) throws Exception {
        List<ServerKind> kinds = opt.configs();
        if ( opt.clients() > 1 && kinds.contains(ServerKind.JENA_PATCH_LOG) ) {
            // DatasetGraphChanges (Jena 6.2.0) calls txnBegin() on its shared patch writer before the store's
            // begin(WRITE) takes the writer lock, so a second concurrent writer breaks the first one's patch.
            out("Note: jenaPatchLog left out of part 1: patch:LoggedDataset fails under concurrent writers (its patch writer is started"
                + " before the store's writer lock is taken; updates fail with a NullPointerException). Use bench.clients=1 to include it.");
            kinds = kinds.stream().filter(k -> k != ServerKind.JENA_PATCH_LOG).toList();
        }
        progress("Part 1: small transactions, servers " + kinds.stream().map(k -> k.id).toList() + ", " + opt.clients() + " client(s)");
        Map<ServerKind, ChildServer> servers = new LinkedHashMap<>();
        // One workload per server, all from the same seed: every server is sent the same sequence of
        // updates, each at its own pace.
        Map<ServerKind, SmallTxnWorkload> workloads = new LinkedHashMap<>();
        try {
            for ( ServerKind k : kinds ) {
                servers.put(k, ChildServer.start(k, k.id, opt.dir().resolve("small-" + k.id), opt.serverJvm(), http));
                workloads.put(k, new SmallTxnWorkload(opt.seed(), opt.deleteFraction(), 50 + 2 * opt.clients()));
                progress("  started " + k.id + " on port " + servers.get(k).port);
            }
            for ( ServerKind k : kinds ) {
                Round r = runTurn(servers.get(k), workloads.get(k), opt.warmup(), 0);
                progress(String.format(Locale.ROOT, "  warm-up %-15s %8.1f txn/s", k.id, r.txnPerSec()));
            }
            Map<ServerKind, List<Round>> rounds = new LinkedHashMap<>();
            kinds.forEach(k -> rounds.put(k, new ArrayList<>()));
            for ( int r = 0 ; r < opt.rounds() ; r++ ) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  round %d/%d:", r + 1, opt.rounds()));
                for ( int i = 0 ; i < kinds.size() ; i++ ) {
                    ServerKind k = kinds.get((i + r) % kinds.size());
                    Round res = runTurn(servers.get(k), workloads.get(k), opt.txns(), opt.turnSeconds());
                    rounds.get(k).add(res);
                    line.append(String.format(Locale.ROOT, "  %s %.1f", k.id, res.txnPerSec()));
                }
                if ( (r + 1) % 10 == 0 || r + 1 == opt.rounds() || r < 3 )
                    progress(line.append(" txn/s").toString());
            }
            reportSmall(kinds, rounds, servers, workloads);
            if ( feedToo ) {
                ChildServer captured = servers.values().stream().filter(s -> s.kind.captured()).findFirst().orElse(null);
                if ( captured == null )
                    progress("Part 3 skipped: no captured server among " + kinds);
                else
                    feed(captured, "after part 1 (" + workloads.get(captured.kind).updates() + " small transactions)");
            }
        } finally {
            servers.values().forEach(ChildServer::close);
        }
    }

    /**
     * One turn of a server: {@code count} updates when {@code count > 0}, otherwise updates for
     * {@code seconds} (no update starts after that), sent by {@code opt.clients()} concurrent
     * clients. Rate = updates / time until the last answer.
     */
    private Round runTurn(ChildServer server, SmallTxnWorkload workload, int count, double seconds) throws Exception {
        AtomicInteger started = new AtomicInteger();
        URI uri = URI.create(server.base() + "/update");
        ExecutorService pool = Executors.newFixedThreadPool(opt.clients());
        try {
            long t0 = System.nanoTime();
            long deadline = t0 + (long)(seconds * 1e9);
            List<Future<long[]>> clients = new ArrayList<>();
            for ( int c = 0 ; c < opt.clients() ; c++ ) {
                clients.add(pool.submit(() -> {
                    long[] lat = new long[64];
                    int n = 0;
                    while ( true ) {
                        if ( count > 0 ? started.getAndIncrement() >= count : System.nanoTime() >= deadline )
                            break;
                        String update = workload.next();
                        HttpRequest req = HttpRequest.newBuilder(uri).header("Content-Type", UPDATE_TYPE)
                                                     .POST(HttpRequest.BodyPublishers.ofString(update)).build();
                        long a = System.nanoTime();
                        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                        if ( n == lat.length )
                            lat = Arrays.copyOf(lat, n * 2);
                        lat[n++] = System.nanoTime() - a;
                        if ( resp.statusCode() / 100 != 2 )
                            throw new IOException(server.label + ": update failed with " + resp.statusCode() + ": " + resp.body() + "\n" + update);
                    }
                    return Arrays.copyOf(lat, n);
                }));
            }
            List<long[]> lats = new ArrayList<>();
            for ( Future<long[]> f : clients )
                lats.add(f.get());
            double secs = (System.nanoTime() - t0) / 1e9;
            long[] latency = lats.stream().flatMapToLong(Arrays::stream).toArray();
            return new Round(latency.length / secs, latency);
        } finally {
            pool.shutdownNow();
        }
    }

    private void reportSmall(List<ServerKind> kinds, Map<ServerKind, List<Round>> rounds, Map<ServerKind, ChildServer> servers,
                             Map<ServerKind, SmallTxnWorkload> workloads) throws Exception {
        ServerKind base = kinds.contains(ServerKind.PLAIN) ? ServerKind.PLAIN : kinds.get(0);
        double baseMedian = median(rates(rounds.get(base)));
        out("Part 1: small transactions (SPARQL Update over HTTP, 1-10 quads each, " + Math.round(opt.deleteFraction() * 100)
            + "% DELETE DATA)");
        out(String.format(Locale.ROOT, "  %d client(s); warm-up %d transactions, then %d interleaved rounds of %s per server (order rotating); seed %d",
                          opt.clients(), opt.warmup(), opt.rounds(),
                          opt.txns() > 0 ? opt.txns() + " transactions" : String.format(Locale.ROOT, "%.1f s", opt.turnSeconds()), opt.seed()));
        out("");
        out(String.format(Locale.ROOT, "  | %-15s | %12s | %17s | %8s | %8s | %16s | %24s |", "server", "median txn/s", "IQR txn/s",
                          "p50 ms", "p99 ms", "ratio of medians", "paired ratio [95% CI]"));
        out(String.format(Locale.ROOT, "  |%s|%s|%s|%s|%s|%s|%s|", "-".repeat(17), "-".repeat(14), "-".repeat(19), "-".repeat(10),
                          "-".repeat(10), "-".repeat(18), "-".repeat(26)));
        double[] baseRates = rates(rounds.get(base));
        for ( ServerKind k : kinds ) {
            double[] rs = rates(rounds.get(k));
            long[] lat = rounds.get(k).stream().flatMapToLong(r -> Arrays.stream(r.latencyNanos())).sorted().toArray();
            double[] paired = new double[rs.length];
            for ( int i = 0 ; i < rs.length ; i++ )
                paired[i] = rs[i] / baseRates[i];
            double[] ci = bootstrapMedianCi(paired);
            out(String.format(Locale.ROOT, "  | %-15s | %12.1f | %7.1f - %7.1f | %8.2f | %8.2f | %16.3f | %24s |", k.id, median(rs),
                              quantile(rs, 0.25), quantile(rs, 0.75), pct(lat, 0.50) / 1e6, pct(lat, 0.99) / 1e6, median(rs) / baseMedian,
                              k == base ? "-" : String.format(Locale.ROOT, "%.3f [%.3f-%.3f]", median(paired), ci[0], ci[1])));
        }
        out("");
        out("  Servers: " + String.join("; ", kinds.stream().map(k -> k.id + " = " + k.description).toList()));
        out("  txn/s: median and interquartile range over the rounds. Ratios to " + base.id + ": ratio of medians, and paired ratio ="
            + " median over the rounds of (txn/s / " + base.id + "'s txn/s in the same round), with a bootstrap 95% confidence interval.");
        // Consistency: every server must hold exactly what it was sent; a captured log one patch per transaction.
        StringBuilder check = new StringBuilder("  Check (each server holds what it was sent):");
        for ( ServerKind k : kinds ) {
            ChildServer s = servers.get(k);
            SmallTxnWorkload w = workloads.get(k);
            long held = count(s);
            check.append("\n    ").append(k.id).append(": ").append(w.updates()).append(" transactions, ").append(held).append(" quads held");
            if ( held != w.netQuads() )
                throw new IllegalStateException(k.id + " holds " + held + " quads but was sent a net " + w.netQuads());
            Path logDir = k.logDirectory(s.dir);
            if ( logDir != null )
                check.append(String.format(Locale.ROOT, ", log %.1f MB", treeSize(logDir) / (double)MB));
            if ( k == ServerKind.JENA_PATCH_LOG ) {
                long[] counts = new long[2];
                try (InputStream in = Files.newInputStream(logDir.resolve("ds.rdfp"))) {
                    countLines(in, counts);
                }
                check.append(", ").append(counts[0]).append(" patches");
                if ( counts[0] != w.updates() )
                    throw new IllegalStateException(k.id + ": " + counts[0] + " patches after " + w.updates() + " transactions");
            }
            if ( k.captured() ) {
                long head = headVersion(s);
                check.append(", head version ").append(head);
                if ( head != w.updates() )
                    throw new IllegalStateException(k.id + ": head version " + head + " after " + w.updates() + " transactions");
            }
        }
        out(check.toString());
        out("");
    }

    private static double[] rates(List<Round> rounds) {
        return rounds.stream().mapToDouble(Round::txnPerSec).toArray();
    }

    // ---- Part 3: reading the change feed

    private record FeedRead(long pages, long patches, long quads, long bytes, double seconds) {}

    private void feed(ChildServer server, String what) throws Exception {
        progress("Part 3: reading the change feed of " + server.label + " " + what);
        List<FeedRead> reads = new ArrayList<>();
        for ( int i = 0 ; i < opt.feedRepeats() ; i++ ) {
            FeedRead r = readFeed(server);
            reads.add(r);
            progress(String.format(Locale.ROOT, "  read %d: %d patches, %d quads in %.2f s", i + 1, r.patches(), r.quads(), r.seconds()));
        }
        reads.sort(Comparator.comparingDouble(FeedRead::seconds));
        FeedRead m = reads.get(reads.size() / 2);
        out("Part 3: change feed read, " + server.label + " server " + what);
        out("  GET /ds/changes?after=N&limit=1000 from version 0 to the head, text patches; median of " + reads.size() + " full reads");
        out("");
        out(String.format(Locale.ROOT, "  | %8s | %9s | %11s | %9s | %9s | %11s | %12s |", "pages", "patches", "quads (A/D)", "MB", "seconds",
                          "patches/s", "quads/s"));
        out("  |----------|-----------|-------------|-----------|-----------|-------------|--------------|");
        out(String.format(Locale.ROOT, "  | %8d | %9d | %11d | %9.1f | %9.2f | %11.0f | %12.0f |", m.pages(), m.patches(), m.quads(),
                          m.bytes() / (double)MB, m.seconds(), m.patches() / m.seconds(), m.quads() / m.seconds()));
        out("");
    }

    private FeedRead readFeed(ChildServer server) throws Exception {
        long after = 0;
        long pages = 0;
        long bytes = 0;
        long[] counts = new long[2];  // patches, quads
        long t0 = System.nanoTime();
        while ( true ) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(server.base() + "/changes?after=" + after + "&limit=1000"))
                                         .header("Accept", "application/rdf-patch").GET().build();
            HttpResponse<InputStream> resp = http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if ( resp.statusCode() != 200 )
                throw new IOException(server.label + ": feed read failed with " + resp.statusCode());
            long head = Long.parseLong(resp.headers().firstValue("X-CDC-Head-Version").orElseThrow());
            long last = Long.parseLong(resp.headers().firstValue("X-CDC-Last-Version").orElseThrow());
            try (InputStream in = resp.body()) {
                bytes += countLines(in, counts);
            }
            pages++;
            if ( last <= after || last >= head )
                break;
            after = last;
        }
        return new FeedRead(pages, counts[0], counts[1], bytes, (System.nanoTime() - t0) / 1e9);
    }

    /** Count patch ends ("TC") and quad lines ("A ", "D ") without decoding the text; returns the bytes read. */
    private static long countLines(InputStream in, long[] counts) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int state = 0;  // 0: at line start, 1: after the first character, 2: inside the line
        int first = 0;
        int n;
        while ( (n = in.read(buf)) > 0 ) {
            total += n;
            for ( int i = 0 ; i < n ; i++ ) {
                int b = buf[i];
                if ( b == '\n' ) {
                    state = 0;
                } else if ( state == 0 ) {
                    first = b;
                    state = 1;
                } else if ( state == 1 ) {
                    if ( (first == 'A' || first == 'D') && b == ' ' )
                        counts[1]++;
                    else if ( first == 'T' && b == 'C' )
                        counts[0]++;
                    state = 2;
                }
            }
        }
        return total;
    }

    // ---- Part 2: bulk upload

    private record Bulk(ServerKind kind, int round, double seconds, long peakHeap, long oldPeak, long maxAfterGc, long gcs) {}

    private void bulk() throws Exception {
        List<ServerKind> kinds = opt.bulkConfigs();
        progress("Part 2: bulk upload of " + opt.bulkTriples() + " triples, servers " + kinds.stream().map(k -> k.id).toList() + ", "
                 + opt.bulkRounds() + " round(s)");
        List<Bulk> results = new ArrayList<>();
        ChildServer keptForFeed = null;
        try {
            for ( int r = 0 ; r < opt.bulkRounds() ; r++ ) {
                // Alternate the order (a,b / b,a) so that drift in the machine's speed hits both alike.
                List<ServerKind> order = new ArrayList<>(kinds);
                if ( r % 2 == 1 )
                    java.util.Collections.reverse(order);
                for ( ServerKind k : order ) {
                    if ( keptForFeed != null ) {
                        keptForFeed.close();
                        deleteUnlessKept(keptForFeed.dir);
                        keptForFeed = null;
                    }
                    ChildServer s = ChildServer.start(k, "bulk-" + k.id + "-" + (r + 1), opt.dir().resolve("bulk-" + (r + 1) + "-" + k.id),
                                                      opt.serverJvm(), http);
                    try {
                        if ( opt.bulkWarmup() > 0 )
                            upload(s, "warm", opt.bulkWarmup());
                        s.command("reset");
                        double secs = upload(s, "bulk", opt.bulkTriples());
                        String[] peak = s.command("peak");
                        Bulk b = new Bulk(k, r + 1, secs, Long.parseLong(peak[0]), Long.parseLong(peak[1]), Long.parseLong(peak[2]),
                                          Long.parseLong(peak[3]));
                        results.add(b);
                        long held = count(s);
                        progress(String.format(Locale.ROOT, "  round %d %-15s %6.1f s  %8.0f triples/s  peak heap %5d MB (old gen %d MB, max after GC %d MB, %d GCs), %d triples held",
                                               r + 1, k.id, secs, opt.bulkTriples() / secs, b.peakHeap() / MB, b.oldPeak() / MB,
                                               b.maxAfterGc() / MB, b.gcs(), held));
                        if ( held != opt.bulkTriples() + opt.bulkWarmup() )
                            throw new IllegalStateException(s.label + ": holds " + held + " triples, expected " + (opt.bulkTriples() + opt.bulkWarmup()));
                    } catch (Exception | Error ex) {
                        s.close();
                        throw ex;
                    }
                    if ( k == ServerKind.CAPTURE ) {
                        keptForFeed = s;  // the last one stays up for the feed read
                    } else {
                        s.close();
                        deleteUnlessKept(s.dir);
                    }
                }
            }
            reportBulk(kinds, results);
            if ( keptForFeed != null && opt.parts().contains("feed") )
                feed(keptForFeed, "after the bulk upload (warm-up and bulk patches)");
        } finally {
            if ( keptForFeed != null )
                keptForFeed.close();
        }
    }

    private double upload(ChildServer s, String tag, long triples) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.base() + "/data?default"))
                                     .header("Content-Type", "application/n-triples")
                                     .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new NTriplesStream(tag, triples)))
                                     .timeout(Duration.ofMinutes(30)).build();
        long t0 = System.nanoTime();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        double secs = (System.nanoTime() - t0) / 1e9;
        if ( resp.statusCode() / 100 != 2 )
            throw new IOException(s.label + ": upload failed with " + resp.statusCode() + ": " + resp.body() + "\n" + s.logTail());
        return secs;
    }

    private void reportBulk(List<ServerKind> kinds, List<Bulk> results) {
        ServerKind base = kinds.contains(ServerKind.PLAIN) ? ServerKind.PLAIN : kinds.get(0);
        out("Part 2: bulk upload, POST /ds/data?default of " + opt.bulkTriples() + " N-Triples (one transaction), "
            + opt.bulkRounds() + " fresh server(s) per configuration, -Xmx" + opt.heap());
        out("  each server first took a " + opt.bulkWarmup() + "-triple warm-up upload; peak heap = sum of the heap pools' peak use during the"
            + " upload, after a full GC and a reset just before it");
        out("");
        out(String.format(Locale.ROOT, "  | %-15s | %5s | %9s | %11s | %14s | %12s | %15s |", "server", "round", "seconds", "triples/s",
                          "peak heap MB", "old gen MB", "max after GC MB"));
        out("  |-----------------|-------|-----------|-------------|----------------|--------------|-----------------|");
        for ( Bulk b : results )
            out(String.format(Locale.ROOT, "  | %-15s | %5d | %9.1f | %11.0f | %14d | %12d | %15d |", b.kind().id, b.round(), b.seconds(),
                              opt.bulkTriples() / b.seconds(), b.peakHeap() / MB, b.oldPeak() / MB, b.maxAfterGc() / MB));
        out("");
        double baseT = median(results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::seconds).toArray());
        double baseMin = results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::seconds).min().orElse(Double.NaN);
        double baseH = median(results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::peakHeap).toArray());
        for ( ServerKind k : kinds ) {
            if ( k == base )
                continue;
            double t = median(results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::seconds).toArray());
            double tMin = results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::seconds).min().orElse(Double.NaN);
            double h = median(results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::peakHeap).toArray());
            boolean targets = k == ServerKind.CAPTURE && base == ServerKind.PLAIN;
            out(String.format(Locale.ROOT, "  %s/%s throughput ratio (%s time / %s time): %.3f of the medians%s, %.3f of the fastest uploads",
                              k.id, base.id, base.id, k.id, baseT / t,
                              targets ? (baseT / t >= 0.90 ? " (target >= 0.90: met)" : " (target >= 0.90: NOT met)") : "", baseMin / tMin));
            out(String.format(Locale.ROOT, "  %s/%s peak heap (medians): %.0f MB vs %.0f MB, %+.0f MB%s",
                              k.id, base.id, h / MB, baseH / MB, (h - baseH) / MB,
                              targets ? (h - baseH <= 256 * MB ? " (target <= +256 MB: met)" : " (target <= +256 MB: NOT met)") : ""));
        }
        out("  With few uploads per server either ratio can be off on a noisy machine: compare runs (see docs/benchmarks.md).");
        out("");
    }

    // ---- Helpers

    private long count(ChildServer s) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(s.base() + "?query=" + java.net.URLEncoder.encode(COUNT_QUERY, StandardCharsets.UTF_8)))
                                     .header("Accept", "text/csv").GET().build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if ( resp.statusCode() != 200 )
            throw new IOException(s.label + ": count query failed with " + resp.statusCode() + ": " + resp.body());
        String[] lines = resp.body().trim().split("\r?\n");
        return Long.parseLong(lines[lines.length - 1].trim());
    }

    private long headVersion(ChildServer s) throws Exception {
        HttpResponse<Void> resp = http.send(HttpRequest.newBuilder(URI.create(s.base() + "/changes")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                                            HttpResponse.BodyHandlers.discarding());
        return Long.parseLong(resp.headers().firstValue("X-CDC-Head-Version").orElse("-1"));
    }

    private static double median(double[] xs) {
        if ( xs.length == 0 )
            return Double.NaN;
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private static double quantile(double[] xs, double q) {
        double[] s = xs.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int)Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /** Percentile bootstrap 95% interval of the median (fixed seed, so reruns on the same data agree). */
    private static double[] bootstrapMedianCi(double[] xs) {
        java.util.Random rnd = new java.util.Random(1);
        int b = 2000;
        double[] meds = new double[b];
        double[] sample = new double[xs.length];
        for ( int i = 0 ; i < b ; i++ ) {
            for ( int j = 0 ; j < xs.length ; j++ )
                sample[j] = xs[rnd.nextInt(xs.length)];
            meds[i] = median(sample);
        }
        return new double[] {quantile(meds, 0.025), quantile(meds, 0.975)};
    }

    private static double pct(long[] sorted, double p) {
        if ( sorted.length == 0 )
            return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)];
    }

    private static long treeSize(Path dir) throws IOException {
        if ( !Files.exists(dir) )
            return 0;
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException ex) {
                    return 0;
                }
            }).sum();
        }
    }

    private void deleteUnlessKept(Path dir) {
        if ( !opt.keep() )
            BenchFiles.deleteTree(dir);
    }

    /** A line for the final report (also shown now). */
    private void out(String line) {
        report.add(line);
        System.out.println(line);
    }

    private static void progress(String line) {
        System.out.println("# " + line);
    }
}
