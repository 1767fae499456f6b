package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

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

/**
 * What acknowledging writes on the topic ({@code cdc:acknowledgeWrites "topic"}) costs a small
 * transaction, against acknowledging once it is committed locally, in one run, in one JVM: a
 * {@link CapturingDatasetGraph} with a durable change log ({@code fsync} on) and a transactional
 * Kafka sink (as the mode requires) running on it. One writer commits transactions of 3 new
 * quads one after another; in "local" rounds a write is done when its commit returns, in "topic"
 * rounds when the sink's destination also holds its patch ({@link SinkRunners#awaitAcknowledged},
 * what a write's HTTP response waits for). Rounds alternate (local, topic, local, ...) so that
 * both modes see the same machine; after each round the sink is let catch up. Reported per mode:
 * p50/p99 of the write's time, writes/s of the one writer (the inverse of the mean write time),
 * and the ratios topic/local.
 * <p>
 * Kafka: the broker named by {@code KAFKA_BOOTSTRAP_SERVERS}, else a one-broker KRaft cluster in
 * this JVM ({@link TestBroker}). Store: {@code -Dbench.store=mem} (default; an in-memory
 * transactional dataset, so the figure is capture plus the sink) or {@code tdb2}.
 *
 * <h2>Run</h2>
 * From the repository root:
 * <pre>
 * ./mvnw -q -B package -DskipTests -pl bench -am
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.AcknowledgeWritesBench
 * </pre>
 * Options: {@code -Dbench.rounds=5} (rounds per mode), {@code -Dbench.txns=300} (writes per round),
 * {@code -Dbench.store=mem|tdb2}.
 */
public final class AcknowledgeWritesBench {
    private AcknowledgeWritesBench() {}

    public static void main(String... args) throws Exception {
        int rounds = Integer.getInteger("bench.rounds", 5);
        int txns = Integer.getInteger("bench.txns", 300);
        String store = System.getProperty("bench.store", "mem");
        Path work = Files.createTempDirectory("fuseki-cdc-ack-bench");
        String dataset = "ack";
        String topic = "bench-ack-" + UUID.randomUUID().toString().substring(0, 8);
        try (TestBroker kafka = TestBroker.obtain()) {
            DatasetGraph base = store.equals("tdb2") ? TDB2Factory.connectDataset(work.resolve("db").toString()).asDatasetGraph()
                                                     : DatasetGraphFactory.createTxnMem();
            ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), dataset).withFsync(true));
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(work.resolve("spill")));
            Sink sink = new KafkaSinkProvider().create(dataset, new OptionValues("kafka", Map.of("bootstrapServers", kafka.bootstrapServers(), "topic", topic,
                                                                                                   "transactional", "true", "acknowledgeWrites", "topic")),
                                                       work.resolve("sink-work"));
            try (SinkRunners runners = new SinkRunners(log)) {
                runners.add(sink, SinkConfig.DEFAULTS.withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(60)));
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
                System.out.printf(Locale.ROOT, "AcknowledgeWritesBench: store %s, Kafka %s, transactional sink, %d rounds x %d writes of 3 quads per mode, load %s%n",
                                  store, kafka.bootstrapServers(), rounds, txns, BenchStats.loadAverage());
                report("local", l, rounds * txns / localSeconds);
                report("topic", t, rounds * txns / topicSeconds);
                System.out.printf(Locale.ROOT, "topic/local: p50 %.2fx, p99 %.2fx, writes/s %.2fx%n", BenchStats.pct(t, 0.50) / BenchStats.pct(l, 0.50),
                                  BenchStats.pct(t, 0.99) / BenchStats.pct(l, 0.99), (rounds * txns / topicSeconds) / (rounds * txns / localSeconds));
            } finally {
                dsg.close();
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
