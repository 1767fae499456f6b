package org.fusekicdc.bench;

import java.io.IOException;
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
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.capture.CaptureConfig;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveQueryEngine;
import org.fusekicdc.live.Subscription;

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
    private static final String NS = "http://example/";
    private static final String PREFIX = "PREFIX : <" + NS + ">\n";
    private static final int PREDICATES = 10;
    private static final long MB = 1024 * 1024;
    private static final Node TYPE;
    static {
        org.apache.jena.sys.JenaSystem.init();  // before any vocabulary class: Jena initialises in a fixed order
        TYPE = RDF.type.asNode();
    }

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

    private final List<String> report = new ArrayList<>();
    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)ManagementFactory.getOperatingSystemMXBean();

    // Queries: text and shape per subscription index; what the writer knows about them.
    private final List<String> queries = new ArrayList<>();
    private final List<String> shapes = new ArrayList<>();
    private final Map<Long, Integer> subjectSub = new HashMap<>();  // key(i, j) -> subscription
    private final Map<Integer, Integer> classSub = new HashMap<>(); // class -> subscription
    private final List<long[]> subjectPairs = new ArrayList<>();

    // Writer's record: commit end time by version, expected notifications (version, subscription).
    private long[] commitEnd = new long[1 << 16];
    private int[] predMask = new int[1 << 16];           // predicates a version touched, bit j for :p_j
    private final int[] predBound = new int[PREDICATES]; // filter and join queries with a pattern filed under :p_j
    private final List<long[]> expected = new ArrayList<>();
    // Consumer's record: per subscription, (version, receive time) of each update.
    private List<long[]>[] receipts;
    private String gcInWindow = "", loadInWindow = "";
    private final Map<String, Double> baselineShapeCpu = new java.util.TreeMap<>();
    private final AtomicLong initials = new AtomicLong(), updates = new AtomicLong(), errors = new AtomicLong();

    public static void main(String... args) throws Exception {
        new LiveQueryBench().run();
    }

    private static long key(long i, long j) {
        return i * PREDICATES + j;
    }

    private static Node s(long i) {
        return NodeFactory.createURI(NS + "s_" + i);
    }

    private static Node p(int j) {
        return j == 0 ? TYPE : NodeFactory.createURI(NS + "p_" + j);
    }

    private static Node cls(long k) {
        return NodeFactory.createURI(NS + "Class_" + k);
    }

    private static long mixBits(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The loaded object of subject i, predicate j. */
    private Node loaded(long i, int j) {
        long h = mixBits(seed * 31 + key(i, j)) >>> 1;
        if ( j == 0 )
            return cls(h % classes);
        if ( j <= 3 )
            return s(h % subjects);
        return NodeFactory.createLiteralDT(Long.toString(h % 1_000_000), XSDDatatype.XSDinteger);
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
        System.out.println();
        System.out.println("=".repeat(100));
        report.forEach(System.out::println);
    }

    @SuppressWarnings("unchecked")
    private void bench(Path dir) throws Exception {
        // ---- Dataset, loaded before wrapping: the log starts empty.
        DatasetGraph base = store.equals("mem") ? DatasetGraphFactory.createTxnMem()
            : TDB2Factory.connectDataset(dir.resolve("tdb2").toString()).asDatasetGraph();
        long tl = System.nanoTime();
        Txn.executeWrite(base, () -> {
            for ( long i = 0 ; i < subjects ; i++ )
                for ( int j = 0 ; j < PREDICATES ; j++ )
                    base.add(Quad.defaultGraphIRI, s(i), p(j), loaded(i, j));
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
        makeQueries();
        receipts = new List[nSubs];
        for ( int i = 0 ; i < nSubs ; i++ )
            receipts[i] = new ArrayList<>();

        // ---- Subscribe, with one consumer thread draining every subscription.
        Subscription[] subs = new Subscription[nSubs];
        AtomicIntegerArray queued = new AtomicIntegerArray(nSubs);
        LinkedBlockingQueue<Integer> ready = new LinkedBlockingQueue<>();
        Thread consumer = Thread.ofPlatform().daemon().name("bench-consumer").start(() -> {
            try {
                while ( true ) {
                    int i = ready.take();
                    if ( i < 0 )
                        return;
                    queued.set(i, 0);
                    LiveEvent e;
                    while ( (e = subs[i].next()) != null ) {
                        long now = System.nanoTime();
                        switch (e) {
                            case LiveEvent.Initial in -> initials.incrementAndGet();
                            case LiveEvent.Update u -> {
                                updates.incrementAndGet();
                                receipts[i].add(new long[] {u.version(), now});
                            }
                            case LiveEvent.Error er -> errors.incrementAndGet();
                        }
                    }
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        long ts = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
            List<Future<?>> fs = new ArrayList<>();
            for ( int t = 0 ; t < 4 ; t++ ) {
                int first = t;
                fs.add(pool.submit(() -> {
                    for ( int i = first ; i < nSubs ; i += 4 ) {
                        int idx = i;
                        subs[i] = engine.subscribe(queries.get(i), "bench", -1);
                        subs[i].onAvailable(() -> {
                            if ( queued.compareAndSet(idx, 0, 1) )
                                ready.add(idx);
                        });
                    }
                    return null;
                }));
            }
            for ( Future<?> f : fs )
                f.get();
        }
        double subSecs = (System.nanoTime() - ts) / 1e9;
        progress(String.format(Locale.ROOT, "%d subscriptions (%d distinct queries) in %.1f s", engine.subscriptionCount(), engine.queryCount(), subSecs));
        long heapSubs = heapAfterGc();

        // ---- Commits: warm-up, then the measured window.
        SplittableRandom rnd = new SplittableRandom(seed + 1);
        Set<Long> deletedLoaded = new HashSet<>();
        long[] extraCounter = {0};
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
            int nQuads = 1 + rnd.nextInt(5);
            List<long[]> ops = new ArrayList<>();  // (i, j, delete?1:0, extra id)
            dsg.begin(org.apache.jena.query.TxnType.WRITE);
            try {
                for ( int q = 0 ; q < nQuads ; q++ ) {
                    long i;
                    int j;
                    if ( rnd.nextDouble() < hot && !subjectPairs.isEmpty() ) {
                        long[] pair = subjectPairs.get(rnd.nextInt(subjectPairs.size()));
                        i = pair[0];
                        j = (int)pair[1];
                    } else {
                        i = rnd.nextInt(subjects);
                        j = rnd.nextInt(PREDICATES);
                    }
                    if ( rnd.nextBoolean() && deletedLoaded.add(key(i, j)) ) {
                        dsg.delete(Quad.defaultGraphIRI, s(i), p(j), loaded(i, j));
                        ops.add(new long[] {i, j, 1, -1});
                    } else {
                        long x = extraCounter[0]++;
                        Node o;
                        long extraClass = -1;
                        if ( j == 0 ) {
                            // A class the subject does not have yet.
                            extraClass = (mixBits(seed * 17 + x) >>> 1) % classes;
                            if ( cls(extraClass).equals(loaded(i, 0)) )
                                extraClass = (extraClass + 1) % classes;
                            o = cls(extraClass);
                        } else if ( j <= 3 )
                            o = s(rnd.nextInt(subjects));
                        else
                            o = NodeFactory.createLiteralDT(Long.toString(1_000_000 + x), XSDDatatype.XSDinteger);  // never loaded
                        dsg.add(Quad.defaultGraphIRI, s(i), p(j), o);
                        ops.add(new long[] {i, j, 0, extraClass});
                    }
                }
                dsg.commit();
            } finally {
                dsg.end();
            }
            long committed = System.nanoTime();
            long v = log.publishedVersion();
            if ( v >= commitEnd.length ) {
                commitEnd = Arrays.copyOf(commitEnd, commitEnd.length * 2);
                predMask = Arrays.copyOf(predMask, predMask.length * 2);
            }
            commitEnd[(int)v] = committed;
            for ( long[] op : ops )
                predMask[(int)v] |= 1 << op[1];
            lastVersion = v;
            if ( firstMeasuredVersion > 0 ) {
                measuredCommits++;
                quadsCommitted += nQuads;
                // Which subscriptions this commit changes, as far as the writer knows for sure.
                Set<Integer> changed = new LinkedHashSet<>();
                for ( long[] op : ops ) {
                    Integer sub = subjectSub.get(key(op[0], op[1]));
                    if ( sub != null )
                        changed.add(sub);
                    if ( op[1] == 0 ) {
                        Integer c = op[2] == 1 ? classSub.get((int)((mixBits(seed * 31 + key(op[0], 0)) >>> 1) % classes))
                            : op[3] >= 0 ? classSub.get((int)op[3]) : null;
                        if ( c != null && op[2] == 1 )
                            changed.add(c);
                        // An added class: changes the class query unless the subject was given that class before (rare; not tracked).
                        if ( c != null && op[2] == 0 )
                            changed.add(c);
                    }
                }
                for ( int sub : changed )
                    expected.add(new long[] {v, sub});
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
        List<Query> parsed = queries.stream().map(QueryFactory::create).toList();
        double[] baseWall = new double[baselineRounds];
        double[] baseCpu = new double[baselineRounds];
        long rows = 0;
        for ( int r = 0 ; r < baselineRounds ; r++ ) {
            long c0 = threads.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            boolean last = r == baselineRounds - 1;
            rows = Txn.calculateRead(dsg, () -> {
                long n = 0;
                for ( int i = 0 ; i < parsed.size() ; i++ ) {
                    long q0 = last ? threads.getCurrentThreadCpuTime() : 0;
                    n += evaluate(dsg, parsed.get(i));
                    if ( last )
                        baselineShapeCpu.merge(shapes.get(i), (threads.getCurrentThreadCpuTime() - q0) / 1e6, Double::sum);
                }
                return n;
            });
            baseWall[r] = (System.nanoTime() - w0) / 1e6;
            baseCpu[r] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
            progress(String.format(Locale.ROOT, "baseline round %d: all %d queries in %.0f ms (CPU %.0f ms), %d rows", r + 1, parsed.size(), baseWall[r],
                                   baseCpu[r], rows));
        }
        ready.add(-1);
        consumer.join(5000);
        if ( costlyLoad != null )
            costlyLoad.stop();

        report(triples, loadSecs, heapData, heapSubs, heapEnd, subSecs, engine, measuredCommits, quadsCommitted, late, firstMeasuredVersion,
               lastVersion, windowNanos, processCpu, engineCpu, steps, baseWall, baseCpu, rows, catchUp);
    }

    /** As the engine evaluates a query: rows projected and collected into a multiset. */
    private static long evaluate(DatasetGraph dsg, Query q) {
        try (QueryExec qe = QueryExec.dataset(dsg).query(q).build()) {
            RowSet rs = qe.select();
            List<Var> vars = rs.getResultVars();
            Map<Binding, Integer> m = new HashMap<>();
            while ( rs.hasNext() ) {
                Binding b = rs.next();
                BindingBuilder bb = Binding.builder();
                for ( Var v : vars ) {
                    Node n = b.get(v);
                    if ( n != null )
                        bb.add(v, n);
                }
                m.merge(bb.build(), 1, Integer::sum);
            }
            return m.size();
        }
    }

    private void makeQueries() {
        SplittableRandom rnd = new SplittableRandom(seed + 2);
        Map<String, Integer> pct = new HashMap<>();
        for ( String part : mix.split(",") ) {
            String[] kv = part.trim().split(":");
            pct.put(kv[0], Integer.parseInt(kv[1]));
        }
        int total = pct.values().stream().mapToInt(Integer::intValue).sum();
        Set<String> seen = new HashSet<>();
        for ( String shape : List.of("class", "filter", "join", "subject") ) {
            int n = shape.equals("subject") ? nSubs - queries.size() : (int)Math.round((double)nSubs * pct.getOrDefault(shape, 0) / total);
            int made = 0, attempts = 0;
            while ( made < n && attempts++ < 100 * n + 1000 ) {
                String q;
                long i = 0, kk = 0;
                int j = 0;
                switch (shape) {
                    case "class" -> {
                        kk = made < classes ? made : rnd.nextInt(classes);
                        q = "SELECT ?s { ?s a :Class_" + kk + " }";
                    }
                    case "filter" -> {
                        j = 4 + rnd.nextInt(6);
                        q = "SELECT ?s ?v { ?s :p_" + j + " ?v FILTER(?v > " + rnd.nextInt(filterMax) + ") } LIMIT 10";
                    }
                    case "join" -> {
                        j = 4 + rnd.nextInt(6);
                        q = "SELECT ?s ?v { ?s a :Class_" + rnd.nextInt(classes) + " . ?s :p_" + j + " ?v }";
                    }
                    default -> {
                        i = rnd.nextInt(subjects);
                        j = 1 + rnd.nextInt(PREDICATES - 1);
                        q = "SELECT ?o { :s_" + i + " :p_" + j + " ?o }";
                    }
                }
                if ( !seen.add(q) )
                    continue;
                int idx = queries.size();
                queries.add(PREFIX + q);
                shapes.add(shape);
                if ( shape.equals("subject") ) {
                    subjectSub.put(key(i, j), idx);
                    subjectPairs.add(new long[] {i, j});
                } else if ( shape.equals("class") )
                    classSub.put((int)kk, idx);
                else
                    predBound[j]++;
                made++;
            }
        }
    }

    private void report(long triples, double loadSecs, long heapData, long heapSubs, long heapEnd, double subSecs, LiveQueryEngine engine,
                        long commits, long quads, long late, long firstV, long lastV, long windowNanos, long processCpu, long engineCpu,
                        List<long[]> steps, double[] baseWall, double[] baseCpu, long baseRows, double catchUp) {
        double win = windowNanos / 1e9;
        Map<String, Long> byShape = new java.util.TreeMap<>();
        shapes.forEach(s -> byShape.merge(s, 1L, Long::sum));
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
        long[] predTouched = steps.stream().mapToLong(st -> {
            int m = 0;
            for ( long v = st[0] - st[1] + 1 ; v <= st[0] ; v++ )
                if ( v >= 0 && v < predMask.length )
                    m |= predMask[(int)v];
            int n = 0;
            for ( int j = 0 ; j < PREDICATES ; j++ )
                if ( (m & (1 << j)) != 0 )
                    n += predBound[j];
            return n;
        }).sorted().toArray();
        out(String.format(Locale.ROOT, "Filter/join queries (pattern filed under its predicate) whose predicate a step touched, so affected (brought up to date by delta rules): p50 %d, p99 %d of %d per step",
                          pct(predTouched, 0.5), pct(predTouched, 0.99), Arrays.stream(predBound).sum()));
        // Latency.
        long[] exact = exactLatencies(0, Long.MAX_VALUE);
        long missing = expected.size() - exact.length;
        List<Long> all = new ArrayList<>();
        for ( List<long[]> rs : receipts )
            for ( long[] r : rs )
                if ( r[0] >= firstV && r[0] <= lastV )
                    all.add(r[1] - commitEnd[(int)r[0]]);
        long[] allLat = all.stream().mapToLong(Long::longValue).sorted().toArray();
        out(String.format(Locale.ROOT, "Latency, exact (watched quad changed -> its subscriber has the update): %,d notifications, p50 %.1f ms, p99 %.1f ms, max %.1f ms%s",
                          exact.length, pct(exact, 0.5) / 1e6, pct(exact, 0.99) / 1e6, exact.length == 0 ? 0 : exact[exact.length - 1] / 1e6,
                          missing == 0 ? "" : "; " + missing + " expected notifications NOT received"));
        out(String.format(Locale.ROOT, "Latency, all updates (commit of the update's version -> received): %,d updates, p50 %.1f ms, p99 %.1f ms, max %.1f ms",
                          allLat.length, pct(allLat, 0.5) / 1e6, pct(allLat, 0.99) / 1e6, allLat.length == 0 ? 0 : allLat[allLat.length - 1] / 1e6));
        out(String.format(Locale.ROOT, "Events received: %,d initial, %,d updates, %,d errors; engine caught up %.2f s after the last commit", initials.get(),
                          updates.get(), errors.get(), catchUp));
        out("");
        out(String.format(Locale.ROOT, "CPU over the window: process %.2f cores (%.1f s of %.1f s), engine thread %.2f cores (%.1f s) = %.3f ms per commit, %.3f ms per step",
                          processCpu / 1e9 / win, processCpu / 1e9, win, engineCpu / 1e9 / win, engineCpu / 1e9, engineCpu / 1e6 / commits,
                          engineCpu / 1e6 / Math.max(1, steps.size())));
        out("Machine during the window: " + gcInWindow + "; " + loadInWindow);
        out(String.format(Locale.ROOT, "Heap after GC: data loaded %d MB; with %d subscriptions %d MB (+%d MB); end of window %d MB", heapData / MB,
                          engine.subscriptionCount(), heapSubs / MB, (heapSubs - heapData) / MB, heapEnd / MB));
        out("");
        double bw = median(baseWall), bc = median(baseCpu);
        out(String.format(Locale.ROOT, "Baseline: all %,d queries evaluated once, %d rounds: %s ms wall (median %.0f), CPU median %.0f ms; %,d rows", queries.size(),
                          baseWall.length, Arrays.toString(Arrays.stream(baseWall).map(Math::rint).toArray()), bw, bc, baseRows));
        StringBuilder perShape = new StringBuilder("Baseline CPU by query shape (last round):");
        Map<String, Long> count = new HashMap<>();
        shapes.forEach(sh -> count.merge(sh, 1L, Long::sum));
        baselineShapeCpu.forEach((sh, ms) -> perShape.append(String.format(Locale.ROOT, " %s %.0f ms (%.3f ms/query);", sh, ms, ms / count.get(sh))));
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
        long[] unloaded = exactLatencies(0, costlyFromVersion);
        long[] loaded = exactLatencies(loadedFromVersion, Long.MAX_VALUE);
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

    private static long max(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
    }

    /**
     * For each expected notification of a version in [fromVersion, toVersion), receive time minus commit time of the
     * first update at or after the commit.
     */
    private long[] exactLatencies(long fromVersion, long toVersion) {
        List<Long> out = new ArrayList<>();
        for ( long[] e : expected ) {
            if ( e[0] < fromVersion || e[0] >= toVersion )
                continue;
            for ( long[] r : receipts[(int)e[1]] ) {
                if ( r[0] >= e[0] ) {
                    out.add(r[1] - commitEnd[(int)e[0]]);
                    break;
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    private static long[] gcTotals() {
        long n = 0, ms = 0;
        for ( var b : ManagementFactory.getGarbageCollectorMXBeans() ) {
            n += Math.max(0, b.getCollectionCount());
            ms += Math.max(0, b.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException ex) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private long heapAfterGc() {
        memory.gc();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    private static long pct(long[] sorted, double p) {
        if ( sorted.length == 0 )
            return 0;
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1))];
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    private void out(String line) {
        report.add(line);
        System.out.println(line);
    }

    private static void progress(String line) {
        System.out.println("# " + line);
    }
}
