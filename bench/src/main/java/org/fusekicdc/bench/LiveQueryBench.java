package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;
import static org.fusekicdc.bench.BenchStats.loadAverage;
import static org.fusekicdc.bench.BenchStats.median;
import static org.fusekicdc.bench.LiveBenchQueries.PREDICATES;
import static org.fusekicdc.bench.LiveBenchQueries.p;
import static org.fusekicdc.bench.LiveBenchQueries.s;
import static org.fusekicdc.bench.LiveLatencies.max;
import static org.fusekicdc.bench.LiveLatencies.pct;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.live.LiveQueryEngine;

/**
 * Live queries at scale, in one JVM through the Java API: how long the engine takes to find
 * the queries a commit affects, how soon subscribers hear of a change, what it costs in CPU
 * and heap, and how that compares with re-running every query on every commit.
 * <ol>
 * <li><b>Dataset.</b> {@code bench.subjects} subjects × 10 predicates (one million triples by
 * default), generated and loaded straight into a TDB2 database in one transaction; then the
 * {@link CapturingDatasetGraph} (durable change log, default options) is created over it, so
 * the log starts empty. {@code :p0} is {@code rdf:type} (one of {@code bench.classes}
 * classes per subject), {@code :p1}-{@code :p3} link to other subjects, {@code :p4}-{@code :p9}
 * hold integers 0-999,999.</li>
 * <li><b>Subscriptions.</b> {@code bench.subscriptions} distinct queries (no two alike, so
 * sharing hides nothing), subscribed through {@link LiveQueryEngine#subscribe} from 4 threads;
 * a consumer thread drains every subscription's events as they become available. Shapes
 * ({@code bench.mix}, percent): {@code subject} {@code SELECT ?o { :s_i :p_j ?o }};
 * {@code class} {@code SELECT ?s { ?s a :Class_k }}; {@code filter}
 * {@code SELECT ?s ?v { ?s :p_j ?v FILTER(?v > N) } LIMIT 10}; {@code join}
 * {@code SELECT ?s ?v { ?s a :Class_k . ?s :p_j ?v }}.</li>
 * <li><b>Commits.</b> One writer commits {@code bench.rate} small transactions per second
 * (1-5 quads each, paced by the clock): each quad is an insert of a new triple or a delete of
 * a loaded one, on a random subject and predicate; a share {@code bench.hot} of them hit a
 * subject and predicate that a {@code subject} subscription watches, so that there are
 * enough notifications to measure. After {@code bench.warmupSeconds} of such commits,
 * {@code bench.seconds} are measured. Reported: the engine's matching time per step
 * ({@link LiveQueryEngine#lastMatchNanos()}, sampled every 0.2 ms; a step may cover several
 * commits), commit-to-notification latency, process and engine-thread CPU, heap after GC.</li>
 * <li><b>Baseline.</b> Every subscribed query evaluated once on a snapshot (as the engine
 * evaluates one: rows collected into a multiset), {@code bench.baselineRounds} times: the
 * cost of re-running every query on every commit, against the engine's CPU per commit.</li>
 * </ol>
 * <p>
 * Latency: the writer records {@code System.nanoTime()} when each commit returns, by version.
 * <i>Exact</i>: for each change to a quad a {@code subject} or {@code class} subscription
 * watches (known to the writer), the time until that subscription's consumer receives the
 * first update whose version is at or after the commit. <i>All updates</i>: for every update
 * received, the time since the commit of its version (the newest commit it covers, so a lower
 * bound when steps merge commits).
 *
 * <h2>Run</h2>
 * From the repository root (JDK 21 or newer as {@code java}; about 1 minute on 2 cores):
 * <pre>
 * ./mvnw -q -B package -DskipTests -pl bench -am
 * java -Xmx4g -XX:+UseG1GC -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.LiveQueryBench
 * </pre>
 * The isolation scenario (costly queries alongside cheap ones, see {@code bench.costly}):
 * <pre>
 * java -Xmx4g -XX:+UseG1GC -Dbench.costly=4 -Dbench.seconds=40 -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.LiveQueryBench
 * </pre>
 *
 * <h2>Options</h2>
 * System properties, given as {@code -Dname=value} before the class name:
 * <table>
 * <caption>Options</caption>
 * <tr><th>Property</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>bench.store</td><td>tdb2</td><td>{@code tdb2} or {@code mem} (Jena's transactional in-memory dataset).</td></tr>
 * <tr><td>bench.dir</td><td>/dev/shm if present, else the temporary directory</td><td>Where the TDB2 database and the change log go
 *     (a new directory, deleted afterwards). On tmpfs, forcing to disk is free: the benchmark measures the engine, not the disk
 *     (on the disk of docs/benchmarks.md a TDB2 commit takes about 9 ms, too slow for 200 commits/s from one writer).</td></tr>
 * <tr><td>bench.subjects</td><td>100000</td><td>Subjects; 10 triples each.</td></tr>
 * <tr><td>bench.classes</td><td>2000</td><td>rdf:type classes.</td></tr>
 * <tr><td>bench.subscriptions</td><td>10000</td><td>Subscriptions, all distinct queries.</td></tr>
 * <tr><td>bench.mix</td><td>subject:75,class:20,filter:4,join:1</td><td>Percent of each query shape.</td></tr>
 * <tr><td>bench.filterMax</td><td>10000</td><td>{@code N} of the filter queries is below this. Jena does not turn the FILTER
 *     into a range scan: it reads {@code ?v} in index order from the smallest value, so a query scans about N/10 rows
 *     (values are uniform in 0-999,999 over 100,000 subjects) before it finds its 10.</td></tr>
 * <tr><td>bench.rate</td><td>200</td><td>Commits per second.</td></tr>
 * <tr><td>bench.warmupSeconds</td><td>5</td><td>Commits before the measured window.</td></tr>
 * <tr><td>bench.seconds</td><td>25</td><td>Measured window.</td></tr>
 * <tr><td>bench.hot</td><td>0.25</td><td>Share of changed quads aimed at a watched subject and predicate.</td></tr>
 * <tr><td>bench.baselineRounds</td><td>3</td><td>Evaluations of all queries for the baseline.</td></tr>
 * <tr><td>bench.seed</td><td>20261127</td><td>Seed of data, queries and commits.</td></tr>
 * <tr><td>bench.keep</td><td>false</td><td>Keep the work directory.</td></tr>
 * <tr><td>bench.costly</td><td>0</td><td>The isolation scenario: this many costly queries ({@link CostlyLoad}: COUNTs over two- and
 *     three-way joins, re-evaluated on about one commit in three) are subscribed halfway through the measured window. The exact
 *     latency of the cheap subscriptions is reported for the first half (unloaded) and for the second half (loaded, from
 *     {@code bench.settleSeconds} after the costly queries were subscribed), with the ratio of the p99s.</td></tr>
 * <tr><td>bench.settleSeconds</td><td>3</td><td>Commits after the costly queries are subscribed that count in neither half:
 *     each new costly query costs the engine's thread up to {@code bench.costlyMillis} once, before it is handed over.</td></tr>
 * <tr><td>bench.costlyMillis</td><td>100</td><td>The engine's costly threshold ({@code cdc:liveCostlyQueryMillis}).</td></tr>
 * <tr><td>bench.costlyThreads</td><td>1</td><td>Threads for costly queries ({@code cdc:liveCostlyThreads}).</td></tr>
 * <tr><td>bench.costlyBusyPercent</td><td>25 (the default)</td><td>Their share of busy time ({@code cdc:liveCostlyBusyPercent}).</td></tr>
 * </table>
 */
public final class LiveQueryBench {
    private static final long MB = 1024 * 1024;

    private final String store = System.getProperty("bench.store", "tdb2");
    private final int subjects = Integer.getInteger("bench.subjects", 100_000);
    private final int classes = Integer.getInteger("bench.classes", 2000);
    private final int nSubs = Integer.getInteger("bench.subscriptions", 10_000);
    private final String mix = System.getProperty("bench.mix", "subject:75,class:20,filter:4,join:1");
    private final int filterMax = Integer.getInteger("bench.filterMax", 10_000);
    private final double rate = Double.parseDouble(System.getProperty("bench.rate", "200"));
    private final double warmupSeconds = Double.parseDouble(System.getProperty("bench.warmupSeconds", "5"));
    private final double seconds = Double.parseDouble(System.getProperty("bench.seconds", "25"));
    private final double hot = Double.parseDouble(System.getProperty("bench.hot", "0.25"));
    private final int baselineRounds = Integer.getInteger("bench.baselineRounds", 3);
    private final long seed = Long.getLong("bench.seed", 20261127L);
    private final boolean keep = Boolean.getBoolean("bench.keep");
    private final int costly = Integer.getInteger("bench.costly", 0);
    private final double settleSeconds = Double.parseDouble(System.getProperty("bench.settleSeconds", "3"));
    private final int costlyMillis = Integer.getInteger("bench.costlyMillis", 100);
    private final int costlyThreads = Integer.getInteger("bench.costlyThreads", 1);
    private final int costlyBusyPercent = Integer.getInteger("bench.costlyBusyPercent", LiveConfig.DEFAULTS.costlyBusyPercent());
    // The isolation scenario: first version after the costly queries were subscribed, first version measured as loaded.
    private long costlyFromVersion = Long.MAX_VALUE, loadedFromVersion = Long.MAX_VALUE;
    private CostlyLoad costlyLoad;
    private int costlyAtEnd;

    private final BenchReport report = new BenchReport();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();

    private final LiveBenchQueries data = new LiveBenchQueries(seed, subjects, classes);
    private final LiveLatencies latencies = new LiveLatencies(nSubs);
    private String gcInWindow = "", loadInWindow = "";

    public static void main(String... args) throws Exception {
        new LiveQueryBench().run();
    }

    private void run() throws Exception {
        Path parent = System.getProperty("bench.dir") != null ? Path.of(System.getProperty("bench.dir"))
            : Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = Files.createTempDirectory(Files.createDirectories(parent), "fuseki-cdc-livebench-");
        out("fuseki-cdc live query benchmark, " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 16));
        out(String.format(Locale.ROOT, "  %d cores, JDK %s, -Xmx%d MB, Jena %s; store %s in %s", Runtime.getRuntime().availableProcessors(),
                          Runtime.version(), Runtime.getRuntime().maxMemory() / MB, org.apache.jena.Jena.VERSION, store, dir));
        long t0 = System.nanoTime();
        try {
            bench(dir);
        } finally {
            if ( !keep )
                BenchFiles.deleteTree(dir);
        }
        progress(String.format(Locale.ROOT, "done in %.1f min", (System.nanoTime() - t0) / 60e9));
        report.printAll();
    }

    private void bench(Path dir) throws Exception {
        // ---- Dataset, loaded before wrapping: the log starts empty.
        DatasetGraph base = store.equals("mem") ? DatasetGraphFactory.createTxnMem()
            : TDB2Factory.connectDataset(dir.resolve("tdb2").toString()).asDatasetGraph();
        long tl = System.nanoTime();
        Txn.executeWrite(base, () -> {
            for ( long i = 0 ; i < subjects ; i++ )
                for ( int j = 0 ; j < PREDICATES ; j++ )
                    base.add(Quad.defaultGraphIRI, s(i), p(j), data.loaded(i, j));
        });
        long triples = Txn.calculateRead(base, () -> base.getDefaultGraph().size());
        double loadSecs = (System.nanoTime() - tl) / 1e9;
        progress(String.format(Locale.ROOT, "loaded %,d triples in %.1f s", triples, loadSecs));
        long heapData = heapAfterGc();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(dir.resolve("spill")));
        LiveQueryEngine engine = new LiveQueryEngine(dsg, new LiveConfig(nSubs + 100, nSubs + 100, 100_000, Duration.ofSeconds(30), 10_000, 100,
                                                                         Duration.ofMillis(costlyMillis), costlyThreads, costlyBusyPercent));
        try {
            measure(dsg, log, engine, triples, loadSecs, heapData);
        } finally {
            engine.close();
            log.close();
            base.close();
        }
    }

    private void measure(CapturingDatasetGraph dsg, ChangeLog log, LiveQueryEngine engine, long triples, double loadSecs, long heapData) throws Exception {
        data.make(nSubs, mix, filterMax);

        // ---- Subscribe, with one consumer thread draining every subscription.
        long ts = System.nanoTime();
        LiveBenchConsumer consumer = LiveBenchConsumer.subscribeAll(engine, data.queries, latencies);
        double subSecs = (System.nanoTime() - ts) / 1e9;
        progress(String.format(Locale.ROOT, "%d subscriptions (%d distinct queries) in %.1f s", engine.subscriptionCount(), engine.queryCount(), subSecs));
        long heapSubs = heapAfterGc();

        // ---- Commits: warm-up, then the measured window.
        LiveBenchWriter writer = new LiveBenchWriter(dsg, log, data, latencies, seed, subjects, classes, hot);
        long periodNanos = (long)(1e9 / rate);
        long start = System.nanoTime();
        long warmEnd = start + (long)(warmupSeconds * 1e9);
        long end = warmEnd + (long)(seconds * 1e9);
        long firstMeasuredVersion = -1, lastVersion = 0, processCpu0 = 0, engineCpu0 = 0;
        long[] gc0 = {0, 0};
        String load0 = "";
        long measuredCommits = 0, quadsCommitted = 0, late = 0;
        List<long[]> steps = new ArrayList<>();  // (version, commits covered, match nanos)
        Thread engineThread = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("cdc-live-ds")).findFirst().orElseThrow();
        Thread[] sampler = new Thread[1];
        boolean[] sampling = {true};
        long k = 0;
        long costlyAt = costly > 0 ? warmEnd + (long)(seconds * 1e9 / 2) : Long.MAX_VALUE;
        long loadedAt = costlyAt == Long.MAX_VALUE ? Long.MAX_VALUE : costlyAt + (long)(settleSeconds * 1e9);
        progress(String.format(Locale.ROOT, "committing %.0f/s: %.0f s warm-up, %.0f s measured", rate, warmupSeconds, seconds));
        while ( true ) {
            long due = start + k * periodNanos;
            long now = System.nanoTime();
            if ( due >= end )
                break;
            if ( costlyLoad == null && now >= costlyAt ) {
                costlyFromVersion = lastVersion + 1;
                costlyLoad = new CostlyLoad(engine, costly);
                costlyLoad.start();
                progress(costly + " costly queries subscribed at version " + costlyFromVersion);
            }
            if ( loadedFromVersion == Long.MAX_VALUE && now >= loadedAt )
                loadedFromVersion = lastVersion + 1;
            if ( due > now )
                LockSupport.parkNanos(due - now);
            else if ( now - due > periodNanos )
                late++;
            if ( firstMeasuredVersion < 0 && System.nanoTime() >= warmEnd ) {
                firstMeasuredVersion = lastVersion + 1;
                long v0 = engine.version();
                sampler[0] = Thread.ofPlatform().daemon().name("bench-sampler").start(() -> {
                    long last = v0;
                    while ( sampling[0] ) {
                        long v = engine.version();
                        if ( v != last ) {
                            steps.add(new long[] {v, v - last, engine.lastMatchNanos()});
                            last = v;
                        }
                        LockSupport.parkNanos(200_000);
                    }
                });
                processCpu0 = os.getProcessCpuTime();
                gc0 = gcTotals();
                load0 = loadAverage();
                engineCpu0 = threads.getThreadCpuTime(engineThread.threadId());
            }
            int nQuads = writer.commit(firstMeasuredVersion > 0);
            lastVersion = writer.lastVersion();
            if ( firstMeasuredVersion > 0 ) {
                measuredCommits++;
                quadsCommitted += nQuads;
            }
            k++;
        }
        long windowNanos = System.nanoTime() - warmEnd;
        costlyAtEnd = engine.costlyQueryCount();
        long processCpu = os.getProcessCpuTime() - processCpu0;
        long engineCpu = threads.getThreadCpuTime(engineThread.threadId()) - engineCpu0;
        long[] gc1 = gcTotals();
        gcInWindow = String.format(Locale.ROOT, "%d GCs, %d ms total (JVM's collection time)", gc1[0] - gc0[0], gc1[1] - gc0[1]);
        loadInWindow = "load average (1 min) " + load0 + " at the start, " + loadAverage() + " at the end";
        // Let the engine catch up (not measured), then stop sampling.
        long tw = System.nanoTime();
        while ( engine.version() < lastVersion && System.nanoTime() - tw < 60_000_000_000L )
            Thread.sleep(10);
        double catchUp = (System.nanoTime() - tw) / 1e9;
        Thread.sleep(300);
        sampling[0] = false;
        sampler[0].join();
        long heapEnd = heapAfterGc();
        progress(String.format(Locale.ROOT, "window done: %d commits, engine caught up %.2f s after the last", measuredCommits, catchUp));

        // ---- Baseline: every query evaluated once on a snapshot.
        LiveBaseline baseline = LiveBaseline.run(dsg, data.queries, data.shapes, baselineRounds);
        consumer.stop();
        if ( costlyLoad != null )
            costlyLoad.stop();

        report(triples, loadSecs, heapData, heapSubs, heapEnd, subSecs, engine, measuredCommits, quadsCommitted, late, firstMeasuredVersion,
               lastVersion, windowNanos, processCpu, engineCpu, steps, baseline, consumer, catchUp);
    }

    private void report(long triples, double loadSecs, long heapData, long heapSubs, long heapEnd, double subSecs, LiveQueryEngine engine,
                        long commits, long quads, long late, long firstV, long lastV, long windowNanos, long processCpu, long engineCpu,
                        List<long[]> steps, LiveBaseline baseline, LiveBenchConsumer consumer, double catchUp) {
        double win = windowNanos / 1e9;
        Map<String, Long> byShape = new java.util.TreeMap<>();
        data.shapes.forEach(s -> byShape.merge(s, 1L, Long::sum));
        out("");
        out(String.format(Locale.ROOT, "Dataset: %,d triples (%s), loaded in %.1f s; change log durable (fsync) in the same directory", triples, store, loadSecs));
        out(String.format(Locale.ROOT, "Subscriptions: %,d (%,d distinct queries) %s, subscribed in %.1f s", engine.subscriptionCount(), engine.queryCount(), byShape,
                          subSecs));
        out(String.format(Locale.ROOT, "Commits: %,d in %.1f s = %.1f/s (target %.0f/s; %d started more than one period late), %,d quads (%.1f per commit), versions %d-%d",
                          commits, win, commits / win, rate, late, quads, (double)quads / commits, firstV, lastV));
        out("");
        // Matching per step.
        long[] match = steps.stream().mapToLong(s -> s[2]).sorted().toArray();
        long[] cover = steps.stream().mapToLong(s -> s[1]).sorted().toArray();
        long coveredBySteps = steps.stream().mapToLong(s -> s[1]).sum();
        out(String.format(Locale.ROOT, "Engine steps seen by the sampler: %,d, covering %,d versions (commits per step: p50 %d, p99 %d, max %d)", steps.size(),
                          coveredBySteps, pct(cover, 0.5), pct(cover, 0.99), cover.length == 0 ? 0 : cover[cover.length - 1]));
        out(String.format(Locale.ROOT, "Matching time per step (lastMatchNanos): p50 %.3f ms, p99 %.3f ms, max %.3f ms; per commit (sum / commits) %.3f ms",
                          pct(match, 0.5) / 1e6, pct(match, 0.99) / 1e6, match.length == 0 ? 0 : match[match.length - 1] / 1e6,
                          Arrays.stream(match).sum() / 1e6 / Math.max(1, coveredBySteps)));
        // Filter and join queries have a pattern with only a predicate constant: every change to that predicate affects them.
        long[] predTouched = latencies.predTouched(steps, data.predBound);
        out(String.format(Locale.ROOT, "Filter/join queries (pattern filed under its predicate) whose predicate a step touched, so affected (brought up to date by delta rules): p50 %d, p99 %d of %d per step",
                          pct(predTouched, 0.5), pct(predTouched, 0.99), Arrays.stream(data.predBound).sum()));
        // Latency.
        long[] exact = latencies.exact(0, Long.MAX_VALUE);
        long missing = latencies.expected.size() - exact.length;
        long[] allLat = latencies.all(firstV, lastV);
        out(String.format(Locale.ROOT, "Latency, exact (watched quad changed -> its subscriber has the update): %,d notifications, p50 %.1f ms, p99 %.1f ms, max %.1f ms%s",
                          exact.length, pct(exact, 0.5) / 1e6, pct(exact, 0.99) / 1e6, exact.length == 0 ? 0 : exact[exact.length - 1] / 1e6,
                          missing == 0 ? "" : "; " + missing + " expected notifications NOT received"));
        out(String.format(Locale.ROOT, "Latency, all updates (commit of the update's version -> received): %,d updates, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                          allLat.length, pct(allLat, 0.5) / 1e6, pct(allLat, 0.99) / 1e6, allLat.length == 0 ? 0 : allLat[allLat.length - 1] / 1e6));
        out(String.format(Locale.ROOT, "Events received: %,d initial, %,d updates, %,d errors; engine caught up %.2f s after the last commit",
                          consumer.initials.get(), consumer.updates.get(), consumer.errors.get(), catchUp));
        out("");
        out(String.format(Locale.ROOT, "CPU over the window: process %.2f cores (%.1f s of %.1f s), engine thread %.2f cores (%.1f s) = %.3f ms per commit, %.3f ms per step",
                          processCpu / 1e9 / win, processCpu / 1e9, win, engineCpu / 1e9 / win, engineCpu / 1e9, engineCpu / 1e6 / commits,
                          engineCpu / 1e6 / Math.max(1, steps.size())));
        out("Machine during the window: " + gcInWindow + "; " + loadInWindow);
        out(String.format(Locale.ROOT, "Heap after GC: data loaded %d MB; with %d subscriptions %d MB (+%d MB); end of window %d MB", heapData / MB,
                          engine.subscriptionCount(), heapSubs / MB, (heapSubs - heapData) / MB, heapEnd / MB));
        out("");
        double[] baseWall = baseline.wall;
        double bw = median(baseWall), bc = median(baseline.cpu);
        out(String.format(Locale.ROOT, "Baseline: all %,d queries evaluated once, %d rounds: %s ms wall (median %.0f), CPU median %.0f ms; %,d rows", data.queries.size(),
                          baseWall.length, Arrays.toString(Arrays.stream(baseWall).map(Math::rint).toArray()), bw, bc, baseline.rows));
        StringBuilder perShape = new StringBuilder("Baseline CPU by query shape (last round):");
        Map<String, Long> count = new HashMap<>();
        data.shapes.forEach(sh -> count.merge(sh, 1L, Long::sum));
        baseline.shapeCpu.forEach((sh, ms) -> perShape.append(String.format(Locale.ROOT, " %s %.0f ms (%.3f ms/query);", sh, ms, ms / count.get(sh))));
        out(perShape.toString());
        double enginePerCommit = engineCpu / 1e6 / commits;
        double enginePerStep = engineCpu / 1e6 / Math.max(1, steps.size());
        out(String.format(Locale.ROOT, "Per commit: baseline %.1f ms CPU vs engine %.3f ms CPU -> %.0fx (target >= 100x)", bc, enginePerCommit, bc / enginePerCommit));
        out(String.format(Locale.ROOT, "Per step (if the baseline also merged commits like the engine): baseline %.1f ms vs engine %.3f ms -> %.0fx", bc, enginePerStep,
                          bc / enginePerStep));
        out(String.format(Locale.ROOT, "Baseline at %.0f commits/s would need %.1f cores (it cannot keep up on %d)", rate, bc * rate / 1000,
                          Runtime.getRuntime().availableProcessors()));
        if ( costlyLoad != null )
            reportIsolation();
    }

    /** The isolation scenario: the cheap subscriptions' exact latency before and while costly queries run. */
    private void reportIsolation() {
        long[] unloaded = latencies.exact(0, costlyFromVersion);
        long[] loaded = latencies.exact(loadedFromVersion, Long.MAX_VALUE);
        out("");
        out(costlyLoad.summary() + "; queries on the costly threads at the end of the window: " + costlyAtEnd);
        costlyLoad.queries().forEach(q -> out("  " + q.substring(q.indexOf('\n') + 1)));
        out(String.format(Locale.ROOT, "Cheap subscriptions, exact latency, unloaded (versions before %d): %,d notifications, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                          costlyFromVersion, unloaded.length, pct(unloaded, 0.5) / 1e6, pct(unloaded, 0.99) / 1e6, max(unloaded) / 1e6));
        out(String.format(Locale.ROOT, "Cheap subscriptions, exact latency, with %d costly queries (versions from %d): %,d notifications, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                          costly, loadedFromVersion, loaded.length, pct(loaded, 0.5) / 1e6, pct(loaded, 0.99) / 1e6, max(loaded) / 1e6));
        double ratio = (double)pct(loaded, 0.99) / Math.max(1, pct(unloaded, 0.99));
        out(String.format(Locale.ROOT, "Isolation: p99 loaded / unloaded = %.2f (target <= 2)", ratio));
    }

    private static long[] gcTotals() {
        long n = 0, ms = 0;
        for ( var b : ManagementFactory.getGarbageCollectorMXBeans() ) {
            n += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    private long heapAfterGc() {
        memory.gc();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private void out(String line) {
        report.out(line);
    }
}
