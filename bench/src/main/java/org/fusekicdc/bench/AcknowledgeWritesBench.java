package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.sink.kafka.KafkaSinkProvider;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.sink.nats.NatsSinkProvider;

/**
 * What acknowledging writes on the topic ({@code cdc:acknowledgeWrites "topic"}) costs a small
 * transaction, against acknowledging once it is committed locally, in one run, in one JVM: a
 * {@link CapturingDatasetGraph} with a durable change log ({@code fsync} on) and a sink running on
 * it, a transactional Kafka sink (as the mode requires) or a NATS JetStream sink. One writer
 * commits transactions of 3 new quads one after another; in "local" rounds a write is done when
 * its commit returns, in "topic" rounds when the sink's destination also holds its patch
 * ({@link SinkRunners#awaitAcknowledged}, what a write's HTTP response waits for). Rounds
 * alternate (local, topic, local, ...) so that both modes see the same machine; after each round
 * the sink is let catch up. Reported per mode: p50/p99 of the write's time, writes/s of the one
 * writer (the inverse of the mean write time), and the ratios topic/local.
 * <p>
 * Broker: {@code -Dbench.broker=kafka} (default) is the broker named by
 * {@code KAFKA_BOOTSTRAP_SERVERS}, else a one-broker KRaft cluster in this JVM
 * ({@link TestBroker}); {@code nats} is the JetStream server at {@code NATS_URL} (default
 * nats://127.0.0.1:4222), a file stream of its own, deleted at the end. Store:
 * {@code -Dbench.store=mem} (default; an in-memory transactional dataset, so the figure is capture
 * plus the sink) or {@code tdb2}.
 *
 * <h2>Run</h2>
 * From the repository root:
 * <pre>
 * ./mvnw -q -B package -DskipTests -pl bench -am
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.AcknowledgeWritesBench
 * java -Dbench.broker=nats -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.AcknowledgeWritesBench
 * </pre>
 * Options: {@code -Dbench.broker=kafka|nats}, {@code -Dbench.rounds=5} (rounds per mode),
 * {@code -Dbench.txns=300} (writes per round), {@code -Dbench.store=mem|tdb2}.
 */
public final class AcknowledgeWritesBench {
    private AcknowledgeWritesBench() {}

    public static void main(String... args) throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        int txns = Integer.getInteger("bench.txns", 300);
        String store = System.getProperty("bench.store", "mem");
        String broker = System.getProperty("bench.broker", "kafka");
        Path work = Files.createTempDirectory("fuseki-cdc-ack-bench");
        String run = UUID.randomUUID().toString().replace("-", "").substring(0, 8);
        try (Destination destination = broker.equals("nats") ? new JetStream(run) : new Kafka(run)) {
            DatasetGraph base = store.equals("tdb2") ? TDB2Factory.connectDataset(work.resolve("db").toString()).asDatasetGraph()
                                                     : DatasetGraphFactory.createTxnMem();
            ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), DATASET).withFsync(true));
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(work.resolve("spill")));
            try (SinkRunners runners = new SinkRunners(log)) {
                runners.add(destination.sink(work.resolve("sink-work")),
                            SinkConfig.DEFAULTS.withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(60)));
                runners.start();
                int[] next = {0};
                // Warm-up: the sink opens, both paths are compiled.
                measure(dsg, log, runners, next, 200, true);
                measure(dsg, log, runners, next, 200, false);
                long[][] local = new long[rounds][];
                long[][] topicAck = new long[rounds][];
                for ( int r = 0 ; r < rounds ; r++ ) {
                    local[r] = measure(dsg, log, runners, next, txns, false);
                    topicAck[r] = measure(dsg, log, runners, next, txns, true);
                }
                long[] l = Arrays.stream(local).flatMapToLong(Arrays::stream).sorted().toArray();
                long[] t = Arrays.stream(topicAck).flatMapToLong(Arrays::stream).sorted().toArray();
                // One writer, one write at a time: writes/s is the inverse of the mean write time.
                double localSeconds = Arrays.stream(l).sum() / 1e9;
                double topicSeconds = Arrays.stream(t).sum() / 1e9;
                System.out.printf(Locale.ROOT, "AcknowledgeWritesBench: store %s, %s, %d rounds x %d writes of 3 quads per mode, load %s%n",
                                  store, destination.describe(), rounds, txns, BenchStats.loadAverage());
                report("local", l, rounds * txns / localSeconds);
                report("topic", t, rounds * txns / topicSeconds);
                System.out.printf(Locale.ROOT, "topic/local: p50 %.2fx, p99 %.2fx, writes/s %.2fx%n", BenchStats.pct(t, 0.50) / BenchStats.pct(l, 0.50),
                                  BenchStats.pct(t, 0.99) / BenchStats.pct(l, 0.99), (rounds * txns / topicSeconds) / (rounds * txns / localSeconds));
            } finally {
                dsg.close();
            }
        }
    }

    private static final String DATASET = "ack";

    /** Where the sink publishes: a broker reached for this run, and the sink that publishes there. */
    private interface Destination extends AutoCloseable {
        Sink sink(Path workDir) throws Exception;

        String describe();
    }

    /** A transactional Kafka sink, as the mode requires on Kafka, to a fresh topic. */
    private static final class Kafka implements Destination {
        private final TestBroker kafka = TestBroker.obtain();
        private final String topic;

        Kafka(String run) throws Exception {
            this.topic = "bench-ack-" + run;
        }

        @Override
        public Sink sink(Path workDir) {
            return new KafkaSinkProvider().create(DATASET, new OptionValues("kafka", Map.of("bootstrapServers", kafka.bootstrapServers(), "topic", topic,
                                                                                            "transactional", "true", "acknowledgeWrites", "topic")),
                                                  workDir);
        }

        @Override
        public String describe() {
            return "Kafka " + kafka.bootstrapServers() + ", transactional sink";
        }

        @Override
        public void close() {
            kafka.close();
        }
    }

    /** A NATS sink to a stream of its own (file storage, the sink's default), deleted at the end. */
    private static final class JetStream implements Destination {
        private static final String URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        private final String stream;
        private final String subject;

        JetStream(String run) {
            this.stream = "BENCH_ACK_" + run.toUpperCase(Locale.ROOT);
            this.subject = "bench-ack." + run;
        }

        @Override
        public Sink sink(Path workDir) {
            return new NatsSinkProvider().create(DATASET, new OptionValues("nats", Map.of("url", URL, "stream", stream, "subject", subject)), workDir);
        }

        @Override
        public String describe() {
            return "NATS JetStream " + URL + " (file stream " + stream + ")";
        }

        @Override
        public void close() throws Exception {
            try (Connection nc = Nats.connect(URL)) {
                nc.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    /**
     * {@code n} writes of 3 new quads each; each write's nanoseconds, until done in the mode. Then
     * lets the sink catch up (not timed), so that a round does not start with a backlog.
     */
    private static long[] measure(CapturingDatasetGraph dsg, ChangeLog log, SinkRunners runners, int[] next, int n, boolean onTopic) throws Exception {
        long[] took = new long[n];
        for ( int i = 0 ; i < n ; i++ ) {
            int k = ++next[0];
            long t0 = System.nanoTime();
            Txn.executeWrite(dsg, () -> {
                for ( int q = 0 ; q < 3 ; q++ )
                    dsg.add(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/s" + k), NodeFactory.createURI("http://ex/p" + q),
                            NodeFactory.createLiteralDT(Integer.toString(k), XSDDatatype.XSDinteger));
            });
            if ( onTopic )
                failIfRefused(runners, log.publishedVersion());
            took[i] = System.nanoTime() - t0;
        }
        failIfRefused(runners, log.publishedVersion());
        return took;
    }

    private static void failIfRefused(SinkRunners runners, long version) throws InterruptedException {
        runners.awaitAcknowledged(version).ifPresent(why -> {
            throw new IllegalStateException(why);
        });
    }

    private static void report(String mode, long[] sorted, double perSecond) {
        System.out.printf(Locale.ROOT, "%-6s p50 %6.2f ms  p99 %6.2f ms  %7.1f writes/s%n", mode, BenchStats.pct(sorted, 0.50) / 1e6, BenchStats.pct(sorted, 0.99) / 1e6,
                          perSecond);
    }
}
