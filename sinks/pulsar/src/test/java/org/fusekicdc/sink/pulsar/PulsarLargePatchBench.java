package org.fusekicdc.sink.pulsar;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * A patch larger than a Pulsar message, two ways: the sink's own parts (messages of at most
 * {@code cdc:maxMessageBytes}, put back together by the reader through a file) against Pulsar's
 * chunking (the producer sends the whole patch as one chunked message; the consumer gets it
 * whole). For each: time from the send to the whole patch at the consumer, and the peak heap
 * of this JVM (sender and receiver both) above what it held before, garbage included; what each
 * way must hold at once shows by running one way ({@code bench.ways}) in a JVM with a small heap
 * ({@code -Xmx}) and a patch larger than it. Alternating rounds.
 * <p>
 * Needs a Pulsar broker at {@code PULSAR_URL} (default {@code pulsar://127.0.0.1:6650}; its
 * {@code maxMessageSize} at its default, 5 MiB). Options: {@code bench.quads} (300,000, about
 * 30 MB of RDF Patch text, streamed into the log), {@code bench.rounds} (3), {@code bench.ways} (parts,chunking).
 * A benchmark, not a test: it lives beside the sink's tests for Pulsar's own client API (the
 * {@code bench} module has the sink's shaded jar only).
 * <pre>
 * ./mvnw -q -B -pl sinks/pulsar -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=/tmp/pulsar-cp.txt
 * PULSAR_URL=pulsar://127.0.0.1:26650 java -Xmx2g -cp "sinks/pulsar/target/test-classes:sinks/pulsar/target/classes:$(cat /tmp/pulsar-cp.txt)" org.fusekicdc.sink.pulsar.PulsarLargePatchBench
 * </pre>
 */
public final class PulsarLargePatchBench {
    private static final String URL = System.getenv().getOrDefault("PULSAR_URL", "pulsar://127.0.0.1:6650");
    private static final int QUADS = Integer.getInteger("bench.quads", 300_000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final List<String> WAYS = List.of(System.getProperty("bench.ways", "parts,chunking").split(","));
    private static final int CHUNK_BYTES = 1024 * 1024;

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("pulsar-large-");
        String dataset = "large" + Long.toHexString(System.nanoTime());
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), dataset).withFsync(false));
        // Written to the log as a stream: the patch is never in this JVM's memory as a whole.
        LogWriter writer = LogWriter.claim(log);
        long v = writer.append((meta, out) -> {
            out.write("TX .\n".getBytes(StandardCharsets.UTF_8));
            for ( int i = 0 ; i < QUADS ; i++ )
                out.write(("A <http://example.org/bench/item/" + i + "> <http://example.org/bench/value> \"" + (i * 1000L)
                           + "\"^^<http://www.w3.org/2001/XMLSchema#integer> .\n").getBytes(StandardCharsets.UTF_8));
            out.write("TC .\n".getBytes(StandardCharsets.UTF_8));
        }).version();
        writer.publish(v);
        PatchRecord patch = new PatchRecord(dataset, log.read(v));
        long bytes = patch.record().payloadLength();
        System.out.printf(Locale.ROOT, "Broker %s; one patch of %,d quads, %.1f MB of RDF Patch text; %d rounds; load average %s%n", URL, QUADS,
                          bytes / 1e6, ROUNDS, loadAverage());
        System.out.println("| Round | Way | Send to whole patch at the consumer, s | Peak heap above the start, MB |");
        System.out.println("|---:|---|---:|---:|");
        try (PulsarClient client = PulsarClient.builder().serviceUrl(URL).operationTimeout(120, TimeUnit.SECONDS).build()) {
            for ( int round = 1 ; round <= ROUNDS ; round++ ) {
                int r = round;
                if ( WAYS.contains("parts") )
                    row(round, "the sink's parts (1 MiB messages)", () -> viaSinkParts(log, dataset, work.resolve("parts-" + r)));
                if ( WAYS.contains("chunking") )
                    row(round, "Pulsar chunking (1 MiB chunks)", () -> viaChunking(client, patch, "persistent://public/default/chunked-" + dataset + "-" + r));
            }
        } finally {
            log.close();
        }
        System.out.println("Load average at the end: " + loadAverage());
    }

    private interface Way {
        double run() throws Exception;
    }

    private static void row(int round, String way, Way run) throws Exception {
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream().filter(m -> m.getType() == MemoryType.HEAP).toList();
        System.gc();
        long before = heap.stream().mapToLong(m -> m.getUsage().getUsed()).sum();
        heap.forEach(MemoryPoolMXBean::resetPeakUsage);
        double seconds = run.run();
        long peak = heap.stream().mapToLong(m -> m.getPeakUsage().getUsed()).sum();
        System.out.printf(Locale.ROOT, "| %d | %s | %.2f | %.0f |%n", round, way, seconds, (peak - before) / 1e6);
    }

    /** The sink as shipped, on a topic of its own, and the follower's reader putting the parts back together. */
    private static double viaSinkParts(ChangeLog log, String dataset, Path dir) throws Exception {
        String topic = "persistent://public/default/parts-" + dir.getFileName() + "-" + dataset;
        // Generous timeouts: the broker shares a small machine with the sender and the receiver.
        Map<String, String> opts = Map.of("url", URL, "topic", topic, "connectTimeoutSeconds", "120", "publishTimeoutSeconds", "300");
        TopicReader reader = new PulsarTopicReaderProvider().create(dataset, OptionValues.forFollower(dataset, opts), Files.createDirectories(dir.resolve("reader")));
        reader.open(0);
        long start = System.nanoTime();
        try (SinkRunner runner = new SinkRunner(log, new PulsarSinkProvider().create(dataset, new OptionValues("pulsar", opts), dir.resolve("sink")),
                                                SinkConfig.DEFAULTS)) {
            runner.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while ( System.nanoTime() < deadline ) {
                var in = reader.poll(Duration.ofMillis(200));
                if ( in.isPresent() && in.get() instanceof TopicReader.PatchMessage m ) {
                    m.patch().close();
                    return (System.nanoTime() - start) / 1e9;
                }
            }
            throw new IllegalStateException("The patch did not arrive within 5 minutes; sink " + runner.status());
        } finally {
            reader.close();
        }
    }

    /** The whole patch as one message, chunked by the producer and joined by the consumer, both in memory. */
    private static double viaChunking(PulsarClient client, PatchRecord patch, String topic) throws Exception {
        try (Consumer<byte[]> consumer = client.newConsumer().topic(topic).subscriptionName("bench")
                                               .subscriptionInitialPosition(SubscriptionInitialPosition.Earliest).maxPendingChunkedMessage(4)
                                               .subscribe();
             Producer<byte[]> producer = client.newProducer().topic(topic).enableBatching(false).enableChunking(true)
                                               .chunkMaxMessageSize(CHUNK_BYTES).sendTimeout(5, TimeUnit.MINUTES).create()) {
            long start = System.nanoTime();
            byte[] whole;
            try (var in = patch.openText()) {
                whole = in.readAllBytes();
            }
            producer.newMessage().key(patch.dataset()).value(whole).property(PatchMessages.VERSION, Long.toString(patch.version())).sendAsync();
            Message<byte[]> m = consumer.receive(5, TimeUnit.MINUTES);
            if ( m == null || m.getData().length != whole.length )
                throw new IllegalStateException("The chunked patch did not arrive whole within 5 minutes");
            consumer.acknowledge(m);
            return (System.nanoTime() - start) / 1e9;
        }
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException | RuntimeException ex) {
            return "unknown";
        }
    }
}
