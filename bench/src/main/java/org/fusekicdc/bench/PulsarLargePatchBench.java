package org.fusekicdc.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.pulsar.client.api.Consumer;
import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.SubscriptionInitialPosition;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.sink.pulsar.PulsarSinkProvider;
import org.fusekicdc.sink.pulsar.PulsarTopicReaderProvider;

/**
 * A patch larger than a Pulsar message, two ways: the sink's own parts (messages of at most
 * {@code cdc:maxMessageBytes}, put back together by the reader through a file) against Pulsar's
 * chunking (the producer sends the whole patch as one chunked message; the consumer gets it
 * whole). For each: time from the send to the whole patch at the consumer, and the peak heap
 * of this JVM (sender and receiver both) above what it held before. Alternating rounds.
 * <p>
 * Needs a Pulsar broker at {@code PULSAR_URL} (default {@code pulsar://127.0.0.1:6650}; its
 * {@code maxMessageSize} at its default, 5 MiB). Options: {@code bench.quads} (300,000, about
 * 30 MB of RDF Patch text), {@code bench.rounds} (3).
 * <pre>
 * ./mvnw -q -B package -DskipTests -pl bench -am
 * PULSAR_URL=pulsar://127.0.0.1:26650 java -Xmx2g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.PulsarLargePatchBench
 * </pre>
 */
public final class PulsarLargePatchBench {
    private static final String URL = System.getenv().getOrDefault("PULSAR_URL", "pulsar://127.0.0.1:6650");
    private static final int QUADS = Integer.getInteger("bench.quads", 300_000);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);
    private static final int CHUNK_BYTES = 1024 * 1024;

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("pulsar-large-");
        String dataset = "large" + Long.toHexString(System.nanoTime());
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), dataset).withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
        Node p = NodeFactory.createURI("http://example.org/bench/value");
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < QUADS ; i++ )
                dsg.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example.org/bench/item/" + i), p,
                                    NodeFactory.createLiteralDT(Long.toString(i * 1000L), XSDDatatype.XSDinteger)));
        });
        PatchRecord patch = new PatchRecord(dataset, log.read(1));
        long bytes = patch.record().payloadLength();
        System.out.printf(Locale.ROOT, "Broker %s; one patch of %,d quads, %.1f MB of RDF Patch text; %d rounds; load average %s%n", URL, QUADS,
                          bytes / 1e6, ROUNDS, BenchStats.loadAverage());
        System.out.println("| Round | Way | Send to whole patch at the consumer, s | Peak heap above the start, MB |");
        System.out.println("|---:|---|---:|---:|");
        try (PulsarClient client = PulsarClient.builder().serviceUrl(URL).build()) {
            for ( int round = 1 ; round <= ROUNDS ; round++ ) {
                int r = round;
                row(round, "the sink's parts (1 MiB messages)", () -> viaSinkParts(log, dataset, work.resolve("parts-" + r)));
                row(round, "Pulsar chunking (1 MiB chunks)", () -> viaChunking(client, patch, "persistent://public/default/chunked-" + dataset + "-" + r));
            }
        } finally {
            dsg.close();
        }
        System.out.println("Load average at the end: " + BenchStats.loadAverage());
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
        Map<String, String> opts = Map.of("url", URL, "topic", topic);
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
}
