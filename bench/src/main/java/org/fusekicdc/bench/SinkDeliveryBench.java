package org.fusekicdc.bench;

import static org.fusekicdc.bench.DeliveryFigures.f1;
import static org.fusekicdc.bench.DeliveryFigures.f2;
import static org.fusekicdc.bench.DeliveryFigures.ms;
import static org.fusekicdc.bench.DeliveryFigures.pct;
import static org.fusekicdc.bench.DeliveryFigures.stage;
import static org.fusekicdc.bench.DeliveryFigures.stageText;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

import io.nats.client.Connection;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.sink.kafka.KafkaPatchReader;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.sink.nats.NatsPatchReader;

/**
 * How fast the sinks deliver, for Kafka and NATS JetStream, in one run, in one JVM: the writer,
 * the change log, the {@link SinkRunner} with the sink, and a consumer reading the destination.
 * <ol>
 * <li><b>Latency.</b> One writer commits small transactions (1-10 quads: inserts of new quads in
 * the default graph and ten named graphs, 15 % deletes of earlier ones) at a steady rate (500/s
 * by default) on a fixed schedule (transaction {@code i} starts at {@code start + i/rate}, never
 * earlier; a late one starts at once, so slips are not carried forward as drift). The dataset is
 * a {@link CapturingDatasetGraph} over an in-memory transactional dataset
 * ({@code DatasetGraphFactory.createTxnMem}) with a durable change log ({@code fsync} on), as a
 * server sets it up, and the sink's {@link SinkRunner} is started on it. The store is in memory
 * on purpose: TDB2's own commit on the benchmark machine tops out near 115 transactions/s (see
 * docs/benchmarks.md), so a steady 500/s could not be offered through it; what is measured here
 * is capture's log plus the sink, not TDB2. A consumer in the same JVM ({@link KafkaPatchReader};
 * {@link NatsPatchReader}) notes {@code System.nanoTime()} when each version arrives; the
 * latency of a version is that minus the writer's {@code System.nanoTime()} taken right after its
 * commit returned. The first seconds are warm-up and not counted. Reported: p50/p90/p99/max and
 * the achieved transactions/s.</li>
 * <li><b>Throughput.</b> A fresh log is pre-filled (before the sink exists) with patches of 100
 * quads each (transactions alternately add 100 new quads and delete them again, so the dataset
 * stays small; 20,000 patches = 2 million quad changes by default). The consumer is started, then
 * the sink; the run ends when the consumer holds every version. Reported: quad changes/s and
 * patches/s from the first patch received to the last, and from the sink's start to the last.
 * The pre-fill log does not force each record to disk ({@code fsync} off): it is not what is
 * measured, and it keeps the run short.</li>
 * <li><b>Catch-up.</b> {@code bench.behind} transactions of the latency workload are committed
 * before the sink exists; then the sink starts while the writer goes on at the offered rate.
 * The sink has caught up when the consumer holds all but the last two versions committed.
 * Reported: the time, and the versions delivered by then per second from the first patch
 * received (the sink's first open is start-up, reported apart), as a multiple of the offered
 * rate.</li>
 * </ol>
 * Throughput is reported beside a plain client of the broker writing the same bytes (the
 * sink's messages, whole) to a destination of its own in the same run: the physical limit of
 * the broker on this machine.
 * <p>
 * Redis: the server at {@code REDIS_URL}, else {@code redis://127.0.0.1:6379} (keys
 * {@code bench:<dataset>}, deleted at the end).
 * Kafka: the broker named by {@code KAFKA_BOOTSTRAP_SERVERS}, else a KRaft cluster (one broker,
 * one controller) inside this JVM, started by the Kafka sink's test helper {@link TestBroker}.
 * NATS: the JetStream server at {@code NATS_URL}, else {@code nats://127.0.0.1:4222} (file
 * storage streams, made by the benchmark before the sink starts and deleted at the end). Every
 * sink has the default options, unless {@code bench.kafkaProducerProperties} says otherwise.
 *
 * <h2>Run</h2>
 * From the repository root (JDK 21 or newer as {@code java}; about 3 minutes on 2 cores):
 * <pre>
 * ./mvnw -q -B install -DskipTests
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.SinkDeliveryBench
 * </pre>
 * (With other builds installing into the same local repository, build only what the bench needs:
 * {@code ./mvnw -q -B package -DskipTests -pl bench -am}.)
 *
 * <h2>Options</h2>
 * System properties, given as {@code -Dname=value} before the class name:
 * <table>
 * <caption>Options</caption>
 * <tr><th>Property</th><th>Default</th><th>Meaning</th></tr>
 * <tr><td>bench.brokers</td><td>kafka,nats,redis</td><td>Which destinations: kafka, nats, redis, pulsar (the Pulsar broker at
 *     {@code PULSAR_URL}, default {@code pulsar://127.0.0.1:6650}, with deduplication and retention on; not started by the bench),
 *     kinesis (the Kinesis API at {@code KINESIS_ENDPOINT}, default {@code http://127.0.0.1:4568}: a local implementation such as
 *     kinesis-local; throughput only, see docs/benchmarks.md).</td></tr>
 * <tr><td>bench.parts</td><td>latency,throughput,catchup</td><td>Which parts; also {@code baseline}: NATS only, before its latency
 *     part, a plain jnats client publishing the same messages at {@code bench.rate} ({@link NatsPublishBaseline}).</td></tr>
 * <tr><td>bench.natsVariants</td><td>sink</td><td>The baseline's variants, each changing one setting against what the sink sends:
 *     {@value NatsPublishBaseline#VARIANT_NAMES}.</td></tr>
 * <tr><td>bench.behind</td><td>10000</td><td>Patches the catch-up part's sink starts behind.</td></tr>
 * <tr><td>bench.catchupSeconds</td><td>60</td><td>Longest the catch-up part waits for the sink to catch up.</td></tr>
 * <tr><td>bench.rate</td><td>500</td><td>Transactions/s offered in the latency part.</td></tr>
 * <tr><td>bench.logFsync</td><td>true</td><td>Whether the latency part's change log forces each commit to disk. One writer
 *     thread forcing the log per commit offers at most about 1/fsync transactions/s (about 3,000 on the benchmark
 *     machine): {@code false} lets a higher {@code bench.rate} be offered, to measure the sinks there.</td></tr>
 * <tr><td>bench.warmupSeconds</td><td>3</td><td>Leading seconds of the latency part not counted.</td></tr>
 * <tr><td>bench.seconds</td><td>25</td><td>Measured seconds of the latency part, per broker.</td></tr>
 * <tr><td>bench.drainSeconds</td><td>20</td><td>After the writer stops, how long the latency part waits for the consumer to
 *     have every version; versions still missing then count as not delivered (a sink slower than the offered rate).</td></tr>
 * <tr><td>bench.patches</td><td>20000</td><td>Patches pre-filled for the throughput part.</td></tr>
 * <tr><td>bench.quadsPerPatch</td><td>100</td><td>Quads in each of those patches.</td></tr>
 * <tr><td>bench.throughputSeconds</td><td>60</td><td>Longest wait for the throughput part's consumer, from the sink's start;
 *     a slower sink is cut there and its rates are over the patches received.</td></tr>
 * <tr><td>bench.kafkaProducerProperties</td><td>(none)</td><td>The Kafka sink's {@code cdc:producerProperties},
 *     {@code ;}-separated key=value pairs (e.g. {@code linger.ms=0}).</td></tr>
 * <tr><td>bench.format</td><td>text</td><td>{@code cdc:format} of both sinks (text, binary or json).</td></tr>
 * <tr><td>bench.cloudEvents</td><td>false</td><td>{@code cdc:cloudEvents} of both sinks (CloudEvents binary content mode headers).</td></tr>
 * <tr><td>bench.seed</td><td>20260127</td><td>Seed of the workload.</td></tr>
 * <tr><td>bench.dir</td><td>the system's temporary directory</td><td>Where the run's new work directory is made.</td></tr>
 * <tr><td>bench.keep</td><td>false</td><td>Keep the work directory (logs) afterwards.</td></tr>
 * </table>
 */
public final class SinkDeliveryBench {

    private final List<String> brokers = list(System.getProperty("bench.brokers", "kafka,nats,redis"));
    private final List<String> parts = list(System.getProperty("bench.parts", "latency,throughput,catchup"));
    private final int behind = Integer.getInteger("bench.behind", 10_000);
    private final double catchupSeconds = Double.parseDouble(System.getProperty("bench.catchupSeconds", "60"));
    private final int rate = Integer.getInteger("bench.rate", 500);
    private final boolean logFsync = Boolean.parseBoolean(System.getProperty("bench.logFsync", "true"));
    private final double warmupSeconds = Double.parseDouble(System.getProperty("bench.warmupSeconds", "3"));
    private final double seconds = Double.parseDouble(System.getProperty("bench.seconds", "25"));
    private final double drainSeconds = Double.parseDouble(System.getProperty("bench.drainSeconds", "20"));
    private final int patches = Integer.getInteger("bench.patches", 20_000);
    private final double throughputSeconds = Double.parseDouble(System.getProperty("bench.throughputSeconds", "60"));
    private final int quadsPerPatch = Integer.getInteger("bench.quadsPerPatch", 100);
    private final String kafkaProducerProperties = System.getProperty("bench.kafkaProducerProperties", "").trim();
    private final String format = System.getProperty("bench.format", "text");
    private final List<String> natsVariants = list(System.getProperty("bench.natsVariants", "sink"));
    private final boolean cloudEvents = Boolean.getBoolean("bench.cloudEvents");
    private final long seed = Long.getLong("bench.seed", 20260127L);
    private final boolean keep = Boolean.getBoolean("bench.keep");
    private final String runId = Long.toString(System.currentTimeMillis() % 100_000_000L, 36);
    private final Path work;

    private final SinkDestinations destinations = new SinkDestinations(format, cloudEvents, kafkaProducerProperties);
    private final List<String> report = new ArrayList<>();
    private final List<String[]> stageRows = new ArrayList<>();

    private SinkDeliveryBench() throws IOException {
        String dir = System.getProperty("bench.dir");
        work = dir == null ? Files.createTempDirectory("fuseki-cdc-sinkbench-")
                           : Files.createTempDirectory(Files.createDirectories(Path.of(dir).toAbsolutePath()), "fuseki-cdc-sinkbench-");
    }

    public static void main(String... args) throws Exception {
        new SinkDeliveryBench().run();
        // The in-JVM broker and the clients leave non-daemon threads behind.
        System.exit(0);
    }

    private void run() throws Exception {
        long t0 = System.nanoTime();
        out("# SinkDeliveryBench " + LocalDateTime.now().format(DateTimeFormatter.ISO_LOCAL_DATE_TIME));
        out("Machine: " + Runtime.getRuntime().availableProcessors() + " cores, JDK " + System.getProperty("java.vm.vendor") + " "
            + Runtime.version() + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB; JVM args "
            + ManagementFactory.getRuntimeMXBean().getInputArguments());
        out("Work directory: " + work);
        out(String.format(Locale.ROOT, "Options: brokers=%s parts=%s rate=%d/s logFsync=%s warmup=%.0fs seconds=%.0fs patches=%d quadsPerPatch=%d format=%s"
                                       + " cloudEvents=%s kafkaProducerProperties=[%s]", brokers, parts, rate, logFsync, warmupSeconds, seconds, patches, quadsPerPatch,
                          format, cloudEvents, kafkaProducerProperties));
        try {
            if ( brokers.contains("kafka") ) {
                long s = System.nanoTime();
                TestBroker kafka = destinations.startKafka();
                out(String.format(Locale.ROOT, "Kafka: %s (ready in %.1f s)", kafka, (System.nanoTime() - s) / 1e9));
            }
            if ( brokers.contains("nats") ) {
                Connection nats = destinations.connectNats();
                out("NATS: " + SinkDestinations.NATS_URL + " (server " + nats.getServerInfo().getVersion() + ", max_payload " + nats.getMaxPayload() + ")");
            }
            List<String[]> latencyRows = new ArrayList<>();
            List<String[]> throughputRows = new ArrayList<>();
            List<String[]> catchupRows = new ArrayList<>();
            List<String[]> baselineRows = new ArrayList<>();
            for ( String b : brokers ) {
                if ( parts.contains("baseline") && b.equals("nats") )
                    baselineRows.addAll(natsBaseline());
                if ( parts.contains("latency") )
                    latencyRows.add(latency(b));
                if ( parts.contains("throughput") )
                    throughputRows.add(throughput(b));
                if ( parts.contains("catchup") )
                    catchupRows.add(catchup(b));
            }
            out("");
            if ( !latencyRows.isEmpty() ) {
                out(String.format(Locale.ROOT, "## Latency: commit to consumer, %d txn/s offered, 1-10 quads each, %.0f s measured after %.0f s warm-up",
                                  rate, seconds, warmupSeconds));
                out("");
                out("| Broker | Txns measured | Achieved txn/s | Consumer patches/s | Not delivered | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | Writer commit p50 / p99 ms | Load average start / end |");
                out("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
                latencyRows.forEach(r -> out("| " + String.join(" | ", r) + " |"));
                out("");
                out("Where the time goes (ms, delivered versions of the measured part): commit returned to the sink handed the patch"
                    + " (negative when the log published it before the writer's clock read), the sink's deliver (publish and the broker's"
                    + " acknowledgement), acknowledgement to the consumer.");
                out("");
                out("| Broker | Commit to sink p50 / p99 / max | Publish + ack p50 / p99 / max | Ack to consumer p50 / p99 / max |");
                out("|---|---:|---:|---:|");
                stageRows.forEach(r -> out("| " + String.join(" | ", r) + " |"));
                out("");
            }
            if ( !baselineRows.isEmpty() ) {
                out(String.format(Locale.ROOT, "## NATS baseline: a plain jnats client publishing the sink's messages, %d msg/s offered, %.0f s measured after %.0f s warm-up",
                                  rate, seconds, warmupSeconds));
                out("");
                out("| Variant | What | Achieved msg/s | Publish to ack p50 / p99 / p99.9 ms | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | Failed or missing | nats-server CPU % | JVM CPU % | Load average start / end |");
                out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
                baselineRows.forEach(r -> out("| " + String.join(" | ", r) + " |"));
                out("");
            }
            if ( !throughputRows.isEmpty() ) {
                out(String.format(Locale.ROOT, "## Throughput: a pre-filled log of %,d patches x %d quads into the broker", patches, quadsPerPatch));
                out("");
                out("Messages are patches (one per patch: none is over the message limit); body bytes are the message values the format makes, headers not counted.");
                out("");
                out("| Broker | Format | Patches | Quad changes | MB (log) | Body bytes / quad change | Pre-fill s | First-to-last s | Quad changes/s | Messages/s | Start-to-last s | Quad changes/s from start | Plain client quad changes/s | Sink / plain |");
                out("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
                throughputRows.forEach(r -> out("| " + String.join(" | ", r) + " |"));
                out("");
            }
            if ( !catchupRows.isEmpty() ) {
                out(String.format(Locale.ROOT, "## Catch-up: the sink starts %,d patches behind while %d txn/s keep coming", behind, rate));
                out("");
                out("| Broker | Behind | Caught up after s | First patch after s | Versions delivered | Catch-up patches/s (from the first patch) | x offered rate | x offered rate, from the sink's start |");
                out("|---|---:|---:|---:|---:|---:|---:|---:|");
                catchupRows.forEach(r -> out("| " + String.join(" | ", r) + " |"));
                out("");
            }
            out(String.format(Locale.ROOT, "Run time %.1f s", (System.nanoTime() - t0) / 1e9));
        } finally {
            cleanUp();
        }
        System.out.println();
        System.out.println("==== Summary");
        report.forEach(System.out::println);
    }

    // ---- Part 1: latency

    private String[] latency(String broker) throws Exception {
        String name = "lat-" + broker + "-" + runId;
        out("");
        out("---- Latency, " + broker + " (dataset " + name + ")");
        String loadAtStart = BenchStats.loadAverage();
        Path dir = Files.createDirectories(work.resolve(name));
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), name).withFsync(logFsync));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        int warmupTxns = (int)Math.round(rate * warmupSeconds);
        int total = warmupTxns + (int)Math.round(rate * seconds);
        // Indexed by version: version 1 is the first transaction, which waits for the sink to open.
        long[] committed = new long[total + 3];
        long[] commitTook = new long[total + 3];
        long[] received = new long[total + 3];
        long[] deliverStart = new long[total + 3];
        long[] deliverEnd = new long[total + 3];
        SinkDestinations.Destination dest = destinations.destination(broker, name, dir);
        try (SinkRunner runner = new SinkRunner(log, new SinkDestinations.TimedSink(dest.sink(), deliverStart, deliverEnd), SinkConfig.DEFAULTS)) {
            runner.start();
            SinkDestinations.Consumer consumer = dest.consumer(received);
            consumer.start();
            // Wait until the sink has opened and the consumer reads: one transaction goes all the way through first.
            SinkTxnWorkload txns = new SinkTxnWorkload(seed);
            long v0 = writeOne(dsg, txns);
            if ( !SinkDestinations.awaitVersion(consumer, v0, 60) )
                throw new IllegalStateException("The first transaction did not reach the consumer within 60 s; sink " + runner.status());
            long base = v0;
            long start = System.nanoTime();
            long period = 1_000_000_000L / rate;
            long measureFrom = 0;
            for ( int i = 0 ; i < total ; i++ ) {
                long due = start + i * period;
                long wait;
                while ( (wait = due - System.nanoTime()) > 0 )
                    LockSupport.parkNanos(wait);
                if ( i == warmupTxns )
                    measureFrom = System.nanoTime();
                long before = System.nanoTime();
                long v = writeOne(dsg, txns);
                long after = System.nanoTime();
                if ( v != base + i + 1 )
                    throw new IllegalStateException("Transaction " + i + " got version " + v + ", expected " + (base + i + 1));
                committed[(int)v] = after;
                commitTook[(int)v] = after - before;
            }
            long writeEnd = System.nanoTime();
            long last = base + total;
            // A sink slower than the offered rate falls behind: wait a bounded time for it, then
            // count what is still missing as not delivered (latency above any figure measured).
            SinkDestinations.awaitVersion(consumer, last, drainSeconds);
            consumer.stop();
            long delivered = consumer.lastVersion.get();
            long lastRecv = received[(int)consumer.lastVersion.get()];
            double deliveredRate = (consumer.lastVersion.get() - base - 1) / ((lastRecv - received[(int)base + 1]) / 1e9);
            // From the measured part's first scheduled start: a writer that fell behind and caught up does not count as faster.
            double achieved = (total - warmupTxns) / ((writeEnd - Math.min(measureFrom, start + warmupTxns * period)) / 1e9);
            int n = total - warmupTxns;
            double[] lat = new double[n];
            double[] took = new double[n];
            int negative = 0;
            for ( int j = 0 ; j < n ; j++ ) {
                int k = (int)base + warmupTxns + 1 + j;
                long d = received[k] - committed[k];
                if ( d < 0 && received[k] != 0 )
                    negative++;
                lat[j] = received[k] == 0 ? Double.POSITIVE_INFINITY : d / 1e6;
                took[j] = commitTook[k] / 1e6;
            }
            Arrays.sort(lat);
            Arrays.sort(took);
            long missing = Arrays.stream(lat).filter(Double::isInfinite).count();
            // Where the time goes: commit returned -> the sink is handed the patch -> the broker acknowledged it -> the consumer has it.
            double[] toSink = stage(committed, deliverStart, (int)base + warmupTxns + 1, n);
            double[] publish = stage(deliverStart, deliverEnd, (int)base + warmupTxns + 1, n);
            double[] toConsumer = stage(deliverEnd, received, (int)base + warmupTxns + 1, n);
            stageRows.add(new String[] {broker, stageText(toSink), stageText(publish), stageText(toConsumer)});
            out(broker + ": commit to sink, " + DeliveryFigures.waitBreakdown(committed, deliverStart, deliverEnd, (int)base + warmupTxns + 1, n));
            int slowest = 0;
            for ( int v = 1 ; v < deliverEnd.length ; v++ )
                if ( deliverEnd[v] - deliverStart[v] > deliverEnd[slowest] - deliverStart[slowest] )
                    slowest = v;
            out(String.format(Locale.ROOT, "%s: slowest deliver: version %d (%s), %.1f ms, %.1f s after the measured part began", broker, slowest,
                              slowest <= base + warmupTxns ? "warm-up" : "measured", (deliverEnd[slowest] - deliverStart[slowest]) / 1e6,
                              (deliverStart[slowest] - measureFrom) / 1e9));
            out(String.format(Locale.ROOT, "%s: %d transactions measured (%d warm-up), achieved %.1f txn/s; latency ms p50 %.2f p90 %.2f p99 %.2f"
                                           + " p99.9 %.2f max %.2f; writer's commit ms p50 %.2f p99 %.2f; %d received before the writer's clock read;"
                                           + " %d of %d versions delivered (%d not within %.0f s after the writer stopped), consumer received %.1f patches/s;"
                                           + " log %.1f MB; sink %s", broker, n, warmupTxns, achieved, pct(lat, 50), pct(lat, 90), pct(lat, 99),
                              pct(lat, 99.9), lat[n - 1], pct(took, 50), pct(took, 99), negative, delivered, total + 1, missing, drainSeconds,
                              deliveredRate, log.sizeBytes() / 1e6, runner.status()));
            return new String[] {broker, String.format(Locale.ROOT, "%,d", n), f1(achieved), f1(deliveredRate),
                                 missing == 0 ? "0" : String.format(Locale.ROOT, "**%,d**", missing), ms(pct(lat, 50)), ms(pct(lat, 90)),
                                 ms(pct(lat, 99)), ms(pct(lat, 99.9)), ms(lat[n - 1]), f2(pct(took, 50)) + " / " + f2(pct(took, 99)),
                                 loadAtStart + " / " + BenchStats.loadAverage()};
        } finally {
            dest.close();
            dsg.close();
        }
    }

    private static long writeOne(CapturingDatasetGraph dsg, SinkTxnWorkload txns) {
        Txn.executeWrite(dsg, () -> txns.next(dsg));
        return dsg.changeLog().headVersion();
    }

    // ---- NATS baseline

    private List<String[]> natsBaseline() throws Exception {
        out("");
        out("---- NATS baseline (variants " + natsVariants + ")");
        Path dir = Files.createDirectories(work.resolve("baseline"));
        int count = (int)Math.round(rate * (warmupSeconds + seconds));
        List<NatsPublishBaseline.Msg> msgs = NatsPublishBaseline.messages("base-" + runId, seed, count, dir);
        NatsPublishBaseline baseline = new NatsPublishBaseline(destinations.nats(), SinkDestinations.NATS_URL, rate, warmupSeconds, seconds, dir, runId);
        List<String[]> rows = new ArrayList<>();
        for ( String v : natsVariants )
            rows.add(baseline.run(NatsPublishBaseline.variant(v), msgs));
        return rows;
    }

    // ---- Part 2: throughput

    private String[] throughput(String broker) throws Exception {
        String name = "thr-" + broker + "-" + runId;
        out("");
        out("---- Throughput, " + broker + " (dataset " + name + ")");
        Path dir = Files.createDirectories(work.resolve(name));
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), name).withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        long fillStart = System.nanoTime();
        AlternatingPatches.write(dsg, patches, quadsPerPatch, AlternatingPatches::drainQuad);
        double fillSeconds = (System.nanoTime() - fillStart) / 1e9;
        long last = log.headVersion();
        if ( last != patches )
            throw new IllegalStateException("Pre-fill made " + last + " versions, expected " + patches);
        long quadChanges = (long)patches * quadsPerPatch;
        double mb = log.sizeBytes() / 1e6;
        out(String.format(Locale.ROOT, "Pre-filled %,d patches, %,d quad changes, log %.1f MB, in %.1f s", patches, quadChanges, mb, fillSeconds));
        double bodyBytesPerQuad = bodyBytes(log) / (double)quadChanges;
        out(String.format(Locale.ROOT, "Format %s: %.1f body bytes per quad change", formatName(), bodyBytesPerQuad));
        long[] received = new long[patches + 2];
        SinkDestinations.Destination dest = destinations.destination(broker, name, dir);
        try {
            SinkDestinations.Consumer consumer = dest.consumer(received);
            consumer.start();
            long sinkStart = System.nanoTime();
            try (SinkRunner runner = new SinkRunner(log, dest.sink(), SinkConfig.DEFAULTS)) {
                runner.start();
                boolean all = SinkDestinations.awaitVersion(consumer, last, throughputSeconds);
                consumer.stop();
                int got = (int)consumer.lastVersion.get();
                if ( got < 2 )
                    throw new IllegalStateException("Only " + got + " patches reached the consumer in " + throughputSeconds + " s; sink " + runner.status());
                if ( !all )
                    out(String.format(Locale.ROOT, "%s: stopped after %.0f s with %,d of %,d patches received; rates are over those", broker,
                                      throughputSeconds, got, patches));
                long first = received[1];
                long end = received[got];
                long quadsGot = (long)got * quadsPerPatch;
                double firstToLast = (end - first) / 1e9;
                double startToLast = (end - sinkStart) / 1e9;
                out(String.format(Locale.ROOT, "%s: first patch received %.2f s after the sink's start; first to last %.2f s: %,.0f quad changes/s,"
                                               + " %,.0f patches/s (%.1f MB/s); start to last %.2f s: %,.0f quad changes/s; sink %s", broker,
                                  (first - sinkStart) / 1e9, firstToLast, (quadsGot - quadsPerPatch) / firstToLast, (got - 1) / firstToLast,
                                  mb * got / patches / firstToLast, startToLast, quadsGot / startToLast, runner.status()));
                double plain = destinations.plainPublish(broker, name, values(log, name, last));
                double plainRate = quadChanges / plain;
                double sinkRate = (quadsGot - quadsPerPatch) / firstToLast;
                if ( !Double.isNaN(plain) )
                    out(String.format(Locale.ROOT, "%s: a plain client wrote the same %,d messages in %.2f s: %,.0f quad changes/s; the sink %.2f of that",
                                      broker, last, plain, plainRate, sinkRate / plainRate));
                return new String[] {broker, formatName(), all ? String.format(Locale.ROOT, "%,d", patches) : String.format(Locale.ROOT, "%,d of %,d (cut at %.0f s)", got, patches, throughputSeconds),
                                     String.format(Locale.ROOT, "%,d", quadsGot), f1(mb * got / patches), f1(bodyBytesPerQuad),
                                     f1(fillSeconds), f2(firstToLast), String.format(Locale.ROOT, "**%,.0f**", (quadsGot - quadsPerPatch) / firstToLast),
                                     String.format(Locale.ROOT, "%,.0f", (got - 1) / firstToLast), f2(startToLast),
                                     String.format(Locale.ROOT, "%,.0f", quadsGot / startToLast), Double.isNaN(plain) ? "-" : String.format(Locale.ROOT, "%,.0f", plainRate),
                                     Double.isNaN(plain) ? "-" : f2(sinkRate / plainRate)};
            }
        } finally {
            dest.close();
            dsg.close();
        }
    }

    /** The bytes the sink sends for each version (the patch in the benchmark's format), for the plain client. */
    private List<byte[]> values(ChangeLog log, String dataset, long last) throws IOException {
        MessageFormat f = MessageFormats.byName(format);
        List<byte[]> values = new ArrayList<>((int)last);
        for ( long v = 1 ; v <= last ; v++ ) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            f.write(new PatchRecord(dataset, log.read(v)), out);
            values.add(out.toByteArray());
        }
        return values;
    }

    // ---- Part 3: catch-up

    private String[] catchup(String broker) throws Exception {
        String name = "cat-" + broker + "-" + runId;
        out("");
        out("---- Catch-up, " + broker + " (dataset " + name + ")");
        Path dir = Files.createDirectories(work.resolve(name));
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), name).withFsync(true));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        SinkTxnWorkload txns = new SinkTxnWorkload(seed + 1);
        for ( int i = 0 ; i < behind ; i++ )
            writeOne(dsg, txns);
        long[] received = new long[behind + (int)(rate * catchupSeconds) + 10];
        SinkDestinations.Destination dest = destinations.destination(broker, name, dir);
        try {
            SinkDestinations.Consumer consumer = dest.consumer(received);
            consumer.start();
            try (SinkRunner runner = new SinkRunner(log, dest.sink(), SinkConfig.DEFAULTS)) {
                long start = System.nanoTime();
                runner.start();
                long period = 1_000_000_000L / rate;
                long end = start + (long)(catchupSeconds * 1e9);
                long caughtUp = 0;
                long delivered = 0;
                for ( int i = 0 ; System.nanoTime() < end ; i++ ) {
                    long due = start + i * period;
                    long wait;
                    while ( (wait = due - System.nanoTime()) > 0 )
                        LockSupport.parkNanos(wait);
                    long v = writeOne(dsg, txns);
                    // Caught up: the consumer has everything but the transactions of the last period or two.
                    if ( consumer.lastVersion.get() >= v - 2 ) {
                        caughtUp = System.nanoTime();
                        delivered = consumer.lastVersion.get();
                        break;
                    }
                }
                consumer.stop();
                if ( caughtUp == 0 ) {
                    out(String.format(Locale.ROOT, "%s: not caught up within %.0f s (consumer at version %,d, head %,d); sink %s", broker, catchupSeconds,
                                      consumer.lastVersion.get(), log.headVersion(), runner.status()));
                    return new String[] {broker, String.format(Locale.ROOT, "%,d", behind), "**not within " + f1(catchupSeconds) + "**", "-",
                                         String.format(Locale.ROOT, "%,d", consumer.lastVersion.get()), "-", "-", "-"};
                }
                double secs = (caughtUp - start) / 1e9;
                double first = (received[1] - start) / 1e9;
                // The rate is over the delivery itself, from the first patch received: the sink's first
                // open (connecting, reading the destination's end) is a start-up cost, reported apart.
                double catchRate = (delivered - 1) / (secs - first);
                double fromStart = delivered / secs;
                out(String.format(Locale.ROOT, "%s: %,d behind, caught up after %.2f s (first patch after %.2f s): %,d versions, %,.0f patches/s from the"
                                               + " first patch = %.1f x the offered %d txn/s (%,.0f/s from the sink's start); sink %s", broker, behind, secs,
                                  first, delivered, catchRate, catchRate / rate, rate, fromStart, runner.status()));
                return new String[] {broker, String.format(Locale.ROOT, "%,d", behind), f2(secs), f2(first), String.format(Locale.ROOT, "%,d", delivered),
                                     String.format(Locale.ROOT, "%,.0f", catchRate), String.format(Locale.ROOT, "**%.1f**", catchRate / rate),
                                     String.format(Locale.ROOT, "%.1f", fromStart / rate)};
            }
        } finally {
            dest.close();
            dsg.close();
        }
    }

    // ---- Helpers

    private String formatName() {
        return format + (cloudEvents ? " + CloudEvents" : "");
    }

    /** The bytes of every message body the sinks' format makes of the log's patches. */
    private long bodyBytes(ChangeLog log) throws IOException {
        MessageFormat f = MessageFormats.byName(format);
        CountingOutputStream count = new CountingOutputStream();
        for ( long v = 1 ; v <= log.headVersion() ; v++ )
            f.write(new PatchRecord(log.dataset(), log.read(v)), count);
        return count.bytes;
    }

    private static final class CountingOutputStream extends OutputStream {
        long bytes;

        @Override
        public void write(int b) {
            bytes++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            bytes += len;
        }
    }

    private void cleanUp() {
        destinations.close();
        if ( !keep )
            BenchFiles.deleteTree(work);
    }

    private void out(String line) {
        System.out.println(line);
        System.out.flush();
        if ( line.startsWith("|") || line.startsWith("## ") || line.startsWith("Where") || line.startsWith("Run time") || line.startsWith("Machine") || line.startsWith("Options")
             || line.startsWith("Kafka:") || line.startsWith("NATS:") || (line.isEmpty() && !report.isEmpty() && !report.getLast().isEmpty()) )
            report.add(line);
    }

    private static List<String> list(String csv) {
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }
}
