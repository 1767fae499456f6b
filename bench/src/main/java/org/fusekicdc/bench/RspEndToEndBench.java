package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;
import static org.fusekicdc.bench.BenchStats.loadAverage;
import static org.fusekicdc.bench.DeliveryFigures.f1;
import static org.fusekicdc.bench.DeliveryFigures.f2;
import static org.fusekicdc.bench.DeliveryFigures.pct;

import java.lang.management.ManagementFactory;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;

import org.fusekicdc.sink.kafka.TestBroker;

/**
 * Continuous queries end to end through Fuseki: window close to result at an SSE client and at
 * a Kafka consumer, while observations are written at the store's ingest rate; optionally the
 * server's heap after GC over a long run.
 * <ol>
 * <li><b>Server.</b> Fuseki with the module in a child JVM ({@link BenchServer}), one captured
 * dataset ({@code bench.store}: TDB2 in a new directory under {@code bench.dir}, or Jena's
 * in-memory dataset), default capture options (durable log, fsync on). The dataset holds the
 * reference data: 1,000 sensors in 50 rooms. One continuous query is configured in
 * {@code config.ttl} with a Kafka sink (the topic read back by a plain consumer), and the same
 * query is registered by an SSE client on {@code /ds/live}: the grouped average with
 * enrichment, {@code SELECT ?room (AVG(?t) AS ?avg) (COUNT(*) AS ?n)} over
 * {@code [RANGE bench.range STEP bench.step]} on {@code cdc:added}, the room read from the dataset.
 * Kafka: the broker at {@code KAFKA_BOOTSTRAP_SERVERS}, else a KRaft cluster inside this JVM
 * ({@link TestBroker}).</li>
 * <li><b>Writes.</b> One writer posts observations ({@link ObservationWriter}: two quads each,
 * {@code bench.batch} per transaction). First {@code bench.warmupSeconds} unpaced (not counted), then
 * {@code bench.probeSeconds} as fast as the server takes them: the store's ingest rate, printed; then {@code bench.seconds} paced at the smaller of
 * {@code bench.rate} and that ingest rate. Only the paced part is measured.</li>
 * <li><b>Latency.</b> A step's window closes at its end: the step's {@code windowEnd}, an instant
 * on the engine's clock, which is the change log's clock (this machine's UTC system clock, in
 * milliseconds; the window is {@code [windowStart, windowEnd)}, and a commit stamped at or after
 * its end closes it). Latency = the instant the client holds the step ({@link Instant#now()} in
 * this JVM, same system clock, microseconds; SSE: when the event's terminating blank line is read;
 * Kafka: when {@code poll} returns the record) minus {@code windowEnd}. Counted: the steps whose
 * window lies wholly inside the measured writes. For Kafka the record's {@code cdc-timestamp}
 * (when the step was appended to the query's step log) splits the latency in two. A window cannot
 * close before a commit stamped inside it is published, so the steps are also split by whether a
 * transaction was in flight at the window's end (its POST sent, its answer not yet read): for
 * those, how long after the end its answer came (the floor) and the step after that answer; for
 * the others, their latency. The answers of each step at both clients are compared (rows sorted).</li>
 * <li><b>Reads.</b> From the server's metrics ({@code /$/metrics}), over the measured writes: the
 * reads at a known version (the queries' steps), how many waited for a store commit and how long
 * ({@link ReadWaitSample}); the commits' two durable steps as the server timed them (its record
 * from the commit-time stamp to forced in the log, then the store's commit), which a window
 * ending during a commit waits for; and the server process's CPU time.</li>
 * <li><b>Heap.</b> Every {@code bench.heapEverySeconds} (0: only before and after) the server runs
 * a full GC and reports the heap used after it; the series is printed with its least-squares
 * slope over the second half of the run. The forced collections pause the server: latency in a
 * run that samples often includes them.</li>
 * </ol>
 * <h2>Run</h2>
 * From the repository root (JDK 21 or newer as {@code java}):
 * <pre>
 * ./mvnw -q -B package -DskipTests -pl bench -am
 * java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.RspEndToEndBench
 * # heap over ten minutes:
 * java -Xmx2g -Dbench.seconds=600 -Dbench.heapEverySeconds=30 -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.RspEndToEndBench
 * </pre>
 * <h2>Options</h2>
 * System properties: bench.store (tdb2; or mem), bench.dir (the system's temporary directory),
 * bench.rate (100000 quad events/s offered at most), bench.batch (1000 observations = 2,000 quads
 * per transaction), bench.warmupSeconds (10), bench.probeSeconds (10), bench.seconds (60), bench.range (PT1S), bench.step
 * (PT0.2S), bench.tickMillis (the dataset's cdc:streamTickMillis, 200), bench.heapEverySeconds (0),
 * bench.serverHeap (2g), bench.serverJvmArgs (more JVM arguments of the server, space-separated; e.g.
 * {@code -Dtdb2:settings=FILE}, a properties file with TDB2's {@code Node2NodeIdCacheSize} and
 * {@code NodeId2NodeCacheSize}), bench.keep (false: the work directory is deleted).
 */
public final class RspEndToEndBench {
    private static final String QUERY = """
        PREFIX ex: <http://example.org/>
        PREFIX sosa: <http://www.w3.org/ns/sosa/>
        REGISTER RSTREAM <urn:out:e2e> AS
        SELECT ?room (AVG(?t) AS ?avg) (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE %s STEP %s]
        WHERE {
          WINDOW <urn:w> { ?obs sosa:madeBySensor ?s ; sosa:hasSimpleResult ?t }
          ?s ex:inRoom ?room .
        }
        GROUP BY ?room
        """;

    private final String store = System.getProperty("bench.store", "tdb2");
    private final double rate = Double.parseDouble(System.getProperty("bench.rate", "100000"));
    private final int batch = Integer.getInteger("bench.batch", 1000);
    private final double warmupSeconds = Double.parseDouble(System.getProperty("bench.warmupSeconds", "10"));
    private final double probeSeconds = Double.parseDouble(System.getProperty("bench.probeSeconds", "10"));
    private final double seconds = Double.parseDouble(System.getProperty("bench.seconds", "60"));
    private final Duration range = Duration.parse(System.getProperty("bench.range", "PT1S"));
    private final Duration step = Duration.parse(System.getProperty("bench.step", "PT0.2S"));
    private final int tickMillis = Integer.getInteger("bench.tickMillis", 200);
    private final int heapEverySeconds = Integer.getInteger("bench.heapEverySeconds", 0);
    private final String serverHeap = System.getProperty("bench.serverHeap", "2g");
    private final String serverJvmArgs = System.getProperty("bench.serverJvmArgs", "").trim();
    private final boolean keep = Boolean.getBoolean("bench.keep");
    private final String topic = "rsp-e2e-" + Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private final BenchReport report = new BenchReport();

    public static void main(String... args) throws Exception {
        new RspEndToEndBench().run();
        // The in-JVM broker and the clients leave non-daemon threads behind.
        System.exit(0);
    }

    private void run() throws Exception {
        String dir = System.getProperty("bench.dir");
        Path work = dir == null ? Files.createTempDirectory("fuseki-cdc-rspe2e-")
                                : Files.createTempDirectory(Files.createDirectories(Path.of(dir).toAbsolutePath()), "fuseki-cdc-rspe2e-");
        report.out("# RspEndToEndBench " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME).substring(0, 19));
        report.out("Machine: " + Runtime.getRuntime().availableProcessors() + " cores, JDK " + Runtime.version() + "; bench JVM "
                   + ManagementFactory.getRuntimeMXBean().getInputArguments() + "; server " + serverJvm() + "; work " + work);
        report.out(String.format(Locale.ROOT, "Options: store=%s rate=%.0f batch=%d (%d quads/txn) warmup=%.0fs probe=%.0fs seconds=%.0fs window [RANGE %s STEP %s]"
                                              + " tickMillis=%d heapEverySeconds=%d", store, rate, batch, 2 * batch, warmupSeconds, probeSeconds, seconds, range, step,
                                 tickMillis, heapEverySeconds));
        report.out("Window close = the step's windowEnd (engine clock = change log clock = system UTC clock, ms); latency = Instant.now()"
                   + " at the client when it holds the step (SSE: event read; Kafka: poll returned it) - windowEnd.");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        try (TestBroker kafka = TestBroker.obtain()) {
            report.out("Kafka: " + kafka);
            try (ChildServer server = ChildServer.start(config(work, kafka.bootstrapServers()), "rsp-e2e", work.resolve("server"),
                                                        serverJvm(), http)) {
                measure(server, kafka, http);
            } finally {
                if ( !keep )
                    BenchFiles.deleteTree(work);
            }
        }
        report.printAll();
    }

    private List<String> serverJvm() {
        List<String> args = new ArrayList<>(List.of("-Xmx" + serverHeap, "-XX:+UseG1GC"));
        if ( !serverJvmArgs.isEmpty() )
            args.addAll(List.of(serverJvmArgs.split("\\s+")));
        return args;
    }

    private String query() {
        return QUERY.formatted(range, step);
    }

    private String config(Path work, String bootstrap) {
        String dataset = store.equals("mem") ? ":store rdf:type ja:MemoryDataset .\n"
            : ":store rdf:type tdb2:DatasetTDB2 ; tdb2:location \"" + work.resolve("server/databases/ds").toAbsolutePath() + "\" .\n";
        return """
            PREFIX :       <#>
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX rdf:    <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX ja:     <http://jena.hpl.hp.com/2005/11/Assembler#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>

            [] rdf:type fuseki:Server .

            :service rdf:type fuseki:Service ;
                fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] ;
                fuseki:endpoint [ fuseki:operation fuseki:gsp-rw ; fuseki:name "data" ] ;
                fuseki:endpoint [ fuseki:operation cdc:live ; fuseki:name "live" ] ;
                fuseki:dataset :dataset .

            :dataset rdf:type cdc:CapturedDataset ;
                cdc:dataset :store ;
                cdc:logDirectory "%s" ;
                cdc:streamTickMillis %d ;
                cdc:continuousQuery [
                    cdc:name "e2e" ;
                    cdc:query \"""%s\""" ;
                    cdc:sink [ a cdc:KafkaSink ; cdc:bootstrapServers "%s" ; cdc:topic "%s" ]
                ] .
            """.formatted(work.resolve("server/changes/ds").toAbsolutePath(), tickMillis, query(), bootstrap, topic) + dataset;
    }

    private void measure(ChildServer server, TestBroker kafka, HttpClient http) throws Exception {
        ObservationWriter writer = new ObservationWriter(http, server.base(), batch);
        writer.post(ObservationWriter.sensorsInRooms());
        HeapSeries heap = new HeapSeries();
        heap.sample(server, 0);
        StepArrivals sse = new StepArrivals("SSE");
        StepArrivals topicSteps = new StepArrivals("Kafka");
        try (SseStepReader sseReader = SseStepReader.register(http, server.base() + "/live", query(), sse);
             KafkaStepReader kafkaReader = new KafkaStepReader(kafka, topic, topicSteps)) {
            progress(String.format(Locale.ROOT, "warm-up: unpaced writes for %.0f s, load %s", warmupSeconds, loadAverage()));
            writer.run(warmupSeconds, 0);
            progress(String.format(Locale.ROOT, "probing the store's ingest rate for %.0f s, load %s", probeSeconds, loadAverage()));
            ObservationWriter.Run probe = writer.run(probeSeconds, 0);
            double offered = Math.min(rate, probe.quadsPerSecond());
            report.out(String.format(Locale.ROOT, "Store's ingest rate (unpaced, %.0f s): %,.0f quad events/s, %,d txns of %,d quads, commit p50 %s ms p99 %s ms; load %s",
                                     probeSeconds, probe.quadsPerSecond(), probe.batches(), 2 * batch, f1(pct(probe.commitMillisSorted(), 50)),
                                     f1(pct(probe.commitMillisSorted(), 99)), loadAverage()));
            progress(String.format(Locale.ROOT, "writing at %,.0f quad events/s for %.0f s", offered, seconds));
            String loadStart = loadAverage();
            ReadWaitSample readsBefore = ReadWaitSample.scrape(http, server);
            Duration cpuBefore = server.cpuTime();
            long wallBefore = System.nanoTime();
            long measuredFrom = System.currentTimeMillis();
            FutureTask<ObservationWriter.Run> paced = new FutureTask<>(() -> writer.run(seconds, offered));
            Thread.ofPlatform().name("writer").start(paced);
            long t0 = System.nanoTime();
            while ( !paced.isDone() ) {
                if ( heapEverySeconds > 0 ) {
                    try {
                        paced.get(heapEverySeconds, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException next) {
                        heap.sample(server, (System.nanoTime() - t0) / 1e9);
                    }
                } else {
                    paced.get();
                }
            }
            ObservationWriter.Run run = paced.get();
            long measuredTo = measuredFrom + (long)(run.seconds() * 1000);
            String loadEnd = loadAverage();
            // The last windows close within a step and the tick after the writes end.
            long firstStep = ceilDiv(measuredFrom + range.toMillis(), step.toMillis());
            long lastStep = Math.floorDiv(measuredTo, step.toMillis());
            long waitUntil = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ( System.nanoTime() < waitUntil && (sse.get(lastStep) == null || topicSteps.get(lastStep) == null) )
                Thread.sleep(20);
            double wallSeconds = (System.nanoTime() - wallBefore) / 1e9;
            double cpuSeconds = (server.cpuTime().toNanos() - cpuBefore.toNanos()) / 1e9;
            ReadWaitSample readsAfter = ReadWaitSample.scrape(http, server);
            String readWaits = readsAfter.since(readsBefore);
            heap.sample(server, (System.nanoTime() - t0) / 1e9);
            report.out(String.format(Locale.ROOT, "Writes measured: %.1f s at %,.0f quad events/s offered: %,.0f achieved (%,d txns, %,d quads), commit p50 %s ms p99 %s ms max %s ms; load %s -> %s",
                                     run.seconds(), offered, run.quadsPerSecond(), run.batches(), run.quads(), f1(pct(run.commitMillisSorted(), 50)),
                                     f1(pct(run.commitMillisSorted(), 99)), f1(pct(run.commitMillisSorted(), 100)), loadStart, loadEnd));
            report.out(String.format(Locale.ROOT, "Server CPU from the measured writes' start to the last step: %.1f s in %.1f s (%.2f cores)",
                                     cpuSeconds, wallSeconds, cpuSeconds / wallSeconds));
            report.out("Reads at a known version in that time (the continuous queries' steps): " + readWaits);
            report.out("Commits in that time, the server's own timing: " + readsAfter.commitsSince(readsBefore));
            latencies(sse, topicSteps, firstStep, lastStep);
            commitsInFlight(run, sse, topicSteps, firstStep, lastStep);
            heap.report(report);
        }
    }

    private void latencies(StepArrivals sse, StepArrivals topicSteps, long firstStep, long lastStep) {
        long expected = lastStep - firstStep + 1;
        report.out("");
        report.out(String.format(Locale.ROOT, "## Window close to result, steps %d..%d (%d windows wholly inside the measured writes)", firstStep, lastStep, expected));
        report.out("| Client | Steps received | p50 ms | p90 ms | p99 ms | max ms |");
        report.out("|---|---:|---:|---:|---:|---:|");
        for ( StepArrivals a : List.of(sse, topicSteps) ) {
            if ( a.failure() != null )
                report.out("  " + a.client + " failed: " + a.failure());
            double[] l = StepArrivals.latencies(a.between(firstStep, lastStep));
            report.out(String.format(Locale.ROOT, "| %s | %d of %d | %s | %s | %s | %s |", a.client, l.length, expected, f2(pct(l, 50)), f2(pct(l, 90)),
                                     f2(pct(l, 99)), f2(pct(l, 100))));
        }
        List<StepArrivals.Arrival> k = topicSteps.between(firstStep, lastStep).stream().filter(a -> a.loggedMillis() >= 0).toList();
        double[] toLog = k.stream().mapToDouble(a -> a.loggedMillis() - a.windowEndMillis()).sorted().toArray();
        double[] fromLog = k.stream().mapToDouble(a -> (a.arrivedMicros() - a.loggedMillis() * 1000) / 1000.0).sorted().toArray();
        report.out(String.format(Locale.ROOT, "Kafka, split at the step log (cdc-timestamp, ms): window end -> logged p50 %s p99 %s max %s; logged -> consumer p50 %s p99 %s max %s",
                                 f1(pct(toLog, 50)), f1(pct(toLog, 99)), f1(pct(toLog, 100)), f1(pct(fromLog, 50)), f1(pct(fromLog, 99)), f1(pct(fromLog, 100))));
        int same = 0, differ = 0;
        for ( long s = firstStep; s <= lastStep; s++ ) {
            StepArrivals.Arrival a = sse.get(s), b = topicSteps.get(s);
            if ( a == null || b == null )
                continue;
            if ( a.answer().equals(b.answer()) )
                same++;
            else {
                if ( differ == 0 )
                    report.out("  first differing step " + s + ": SSE " + a.answer() + " / Kafka " + b.answer());
                differ++;
            }
        }
        StepArrivals.Arrival sample = sse.get(lastStep);
        report.out(String.format(Locale.ROOT, "Same answer at both clients: %d steps, different: %d; a step's answer: %s", same, differ,
                                 sample == null ? "-" : sample.answer().substring(0, Math.min(160, sample.answer().length())) + "..."));
    }

    /**
     * The floor under the latency: a window cannot close before a commit stamped inside it is
     * published, so when a transaction was in flight at the window's end, its step waits for it.
     * Split the steps by that, and for those that waited, what came after the transaction's
     * answer (which the writer reads just after the publish).
     */
    private void commitsInFlight(ObservationWriter.Run run, StepArrivals sse, StepArrivals topicSteps, long firstStep, long lastStep) {
        report.out("");
        report.out("## The transaction in flight at a window's end (the floor: the window closes once it is published)");
        report.out("| Client | Steps with a transaction in flight at the window end | its answer after the end p50 / p99 ms | step after that answer p50 / p99 / max ms"
                   + " | Steps with none in flight | their latency p50 / p99 / max ms |");
        report.out("|---|---:|---:|---:|---:|---:|");
        for ( StepArrivals a : List.of(sse, topicSteps) ) {
            List<Double> waitedFor = new ArrayList<>(), afterAnswer = new ArrayList<>(), free = new ArrayList<>();
            for ( StepArrivals.Arrival x : a.between(firstStep, lastStep) ) {
                long answered = run.answerOfPostInFlight(x.windowEndMillis() * 1000);
                if ( answered < 0 ) {
                    free.add(x.latencyMillis());
                } else {
                    waitedFor.add((answered - x.windowEndMillis() * 1000) / 1000.0);
                    afterAnswer.add((x.arrivedMicros() - answered) / 1000.0);
                }
            }
            double[] w = sorted(waitedFor), after = sorted(afterAnswer), none = sorted(free);
            report.out(String.format(Locale.ROOT, "| %s | %d | %s / %s | %s / %s / %s | %d | %s / %s / %s |", a.client, w.length, f1(pct(w, 50)), f1(pct(w, 99)),
                                     f1(pct(after, 50)), f1(pct(after, 99)), f1(pct(after, 100)), none.length, f2(pct(none, 50)), f2(pct(none, 99)),
                                     f2(pct(none, 100))));
        }
    }

    private static double[] sorted(List<Double> values) {
        return values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /** The server's heap after a full GC, sampled over the run. */
    private static final class HeapSeries {
        private final List<double[]> samples = new ArrayList<>();  // (seconds into the measured writes, MB, load)

        void sample(ChildServer server, double at) throws java.io.IOException {
            long used = Long.parseLong(server.command("heap")[0]);
            double load = Double.parseDouble(loadAverage());
            samples.add(new double[] {at, used / (1024.0 * 1024.0), load});
            progress(String.format(Locale.ROOT, "heap after GC at %.0f s: %.1f MB (load %.2f)", at, used / (1024.0 * 1024.0), load));
        }

        void report(BenchReport report) {
            report.out("");
            report.out("## Server heap after a full GC (MB), seconds into the measured writes, load average");
            StringBuilder sb = new StringBuilder();
            for ( double[] s : samples )
                sb.append(String.format(Locale.ROOT, "%.0fs %.1f (%.1f); ", s[0], s[1], s[2]));
            report.out(sb.toString());
            List<double[]> late = samples.subList(samples.size() / 2, samples.size());
            if ( late.size() >= 3 ) {
                double mx = late.stream().mapToDouble(s -> s[0]).average().orElseThrow();
                double my = late.stream().mapToDouble(s -> s[1]).average().orElseThrow();
                double num = late.stream().mapToDouble(s -> (s[0] - mx) * (s[1] - my)).sum();
                double den = late.stream().mapToDouble(s -> (s[0] - mx) * (s[0] - mx)).sum();
                double[] mb = samples.stream().mapToDouble(s -> s[1]).toArray();
                report.out(String.format(Locale.ROOT, "Slope over the second half (%d samples): %+.2f MB/min; min %.1f max %.1f MB over the run",
                                         late.size(), num / den * 60, Arrays.stream(mb).min().orElseThrow(), Arrays.stream(mb).max().orElseThrow()));
            }
        }
    }
}
