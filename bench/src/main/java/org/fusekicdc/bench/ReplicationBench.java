package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.sink.kafka.KafkaPatchReader;
import org.fusekicdc.sink.kafka.KafkaSinkProvider;
import org.fusekicdc.sink.kafka.KafkaTopicReaderProvider;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.fusekicdc.sink.nats.NatsSinkProvider;
import org.fusekicdc.sink.nats.NatsSubjectReaderProvider;

/**
 * Replication over NATS JetStream and Kafka, in one JVM: a leader (TDB2, capture, sink) and
 * followers (TDB2, capture, {@link Follower}). For each broker:
 * <ol>
 * <li><b>Lag.</b> The leader commits small transactions (5 quads) at a steady rate; for each
 * version, the time from the leader's publish to the follower's publish (both noted by publish
 * listeners with {@code System.nanoTime()}): p50, p99, max. Once with a follower that applies
 * one version per store transaction ({@code maxGroupVersions} 1, the behaviour before groups),
 * once with the default, in turn, {@code bench.rounds} times. Where the time goes: a plain
 * consumer of the topic notes when each version arrives (leader commit to arrival: the sink and
 * the broker), and the rest is the follower's (arrival to follower commit: reading, applying,
 * the store's commit and any queue behind it).</li>
 * <li><b>Catch-up.</b> The leader commits transactions of 50 quads with no follower running;
 * then new, empty followers apply them all: one version per transaction, and the default
 * (groups), against the same transactions written straight into a plain TDB2 dataset one
 * transaction each (no capture, no broker), in the same run.</li>
 * </ol>
 * Settings (system properties): bench.brokers (nats,kafka), bench.rate (200 tx/s),
 * bench.seconds (15), bench.rounds (2), bench.applyTxns (2000). NATS: a server with JetStream
 * at NATS_URL, else nats://127.0.0.1:4222; Kafka: KAFKA_BOOTSTRAP_SERVERS, else a broker in
 * this JVM.
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.ReplicationBench</pre>
 */
public final class ReplicationBench {
    private static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
    private static final List<String> BROKERS = List.of(System.getProperty("bench.brokers", "nats,kafka").split(","));
    private static final int RATE = Integer.getInteger("bench.rate", 200);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int APPLY_TXNS = Integer.getInteger("bench.applyTxns", 2000);
    private static final int APPLY_QUADS_PER_TXN = 50;
    private static final int LAG_QUADS_PER_TXN = 5;

    private final Path dir;
    private final String broker;
    private final String id = UUID.randomUUID().toString().substring(0, 8);
    private final String subject = "fuseki-cdc-bench.replication." + id;
    private final String stream = "FUSEKI_CDC_BENCH_REPLICATION_" + id.toUpperCase();
    private final String topic = "fuseki-cdc-bench-replication-" + id;
    private TestBroker kafka;
    private int txnCounter;

    private ReplicationBench(Path dir, String broker) {
        this.dir = dir;
        this.broker = broker;
    }

    public static void main(String[] args) throws Exception {
        for ( String broker : BROKERS ) {
            Path dir = Files.createTempDirectory("replication-bench-" + broker);
            ReplicationBench bench = new ReplicationBench(dir, broker);
            try {
                if ( broker.equals("kafka") ) {
                    try (TestBroker kafka = TestBroker.obtain()) {
                        bench.kafka = kafka;
                        bench.run();
                    }
                } else {
                    try (Connection nats = Nats.connect(NATS_URL)) {
                        try {
                            bench.run();
                        } finally {
                            nats.jetStreamManagement().deleteStream(bench.stream);
                        }
                    }
                }
            } finally {
                BenchFiles.deleteTree(dir);
            }
        }
        System.exit(0);
    }

    private void run() throws Exception {
        System.out.printf("%nReplication over %s: lag at %d tx/s for %d s (%d rounds), then catch-up over %d transactions of %d quads%n",
                          broker, RATE, SECONDS, ROUNDS, APPLY_TXNS, APPLY_QUADS_PER_TXN);
        CapturingDatasetGraph leader = captured("leader");
        SinkRunners sinks = new SinkRunners(leader.changeLog());
        sinks.add(sink(), SinkConfig.DEFAULTS);
        sinks.start();

        // ---- Lag: followers that keep up, one version per transaction and grouped, in turn.
        for ( int round = 1 ; round <= ROUNDS ; round++ ) {
            for ( int maxGroup : new int[] {1, FollowerConfig.DEFAULT_MAX_GROUP_VERSIONS} ) {
                String name = "lag-" + round + "-" + maxGroup;
                CapturingDatasetGraph follower = captured(name);
                Follower following = follow(follower, name, maxGroup);
                following.start();
                long base = leader.changeLog().headVersion();
                await(() -> follower.changeLog().publishedVersion() >= base, "the follower catches up before the lag run");
                PublishTimes committed = new PublishTimes(leader.changeLog());
                PublishTimes applied = new PublishTimes(follower.changeLog());
                Arrivals arrivals = new Arrivals(base, dir.resolve(name).resolve("arrivals"));
                long start = System.nanoTime();
                int txns = RATE * SECONDS;
                double[] leaderCommits = new double[txns];
                for ( int i = 0 ; i < txns ; i++ ) {
                    long wait = start + (long)(i * 1e9 / RATE) - System.nanoTime();
                    if ( wait > 0 )
                        LockSupport.parkNanos(wait);
                    long w0 = System.nanoTime();
                    write(leader, txnCounter++, LAG_QUADS_PER_TXN);
                    leaderCommits[i] = (System.nanoTime() - w0) / 1e6;
                }
                double achieved = txns / ((System.nanoTime() - start) / 1e9);
                long head = leader.changeLog().headVersion();
                await(() -> follower.changeLog().publishedVersion() >= head, "the follower catches up");
                await(() -> arrivals.times.size() >= head - base, "the plain consumer has every version");
                arrivals.close();
                int n = (int)(head - base);
                double[] lags = new double[n], delivery = new double[n], apply = new double[n];
                for ( long v = base + 1 ; v <= head ; v++ ) {
                    int i = (int)(v - base - 1);
                    lags[i] = (applied.at(v) - committed.at(v)) / 1e6;
                    delivery[i] = (arrivals.times.get(v) - committed.at(v)) / 1e6;
                    apply[i] = (applied.at(v) - arrivals.times.get(v)) / 1e6;
                }
                System.out.printf("Lag round %d, %s: %d versions at %.0f tx/s; leader commit to follower commit %s;"
                                  + " of which leader commit to arrival at a plain consumer %s, arrival to follower commit %s%n",
                                  round, describe(maxGroup), n, achieved, percentiles(lags), percentiles(delivery), percentiles(apply));
                // The follower does the same store work per version: this is the floor of its part.
                System.out.printf("  the leader's own write transaction (5 quads, capture and TDB2 commit): %s%n", percentiles(leaderCommits));
                committed.close();
                applied.close();
                following.close();
                follower.close();
            }
        }

        // ---- Catch-up: new followers apply what the leader wrote with none running.
        long before = leader.changeLog().headVersion();
        int firstCatchUpTxn = txnCounter;
        for ( int i = 0 ; i < APPLY_TXNS ; i++ )
            write(leader, txnCounter++, APPLY_QUADS_PER_TXN);
        long target = leader.changeLog().headVersion();
        await(() -> sinks.status().get(0).cursor() >= target, "the leader's sink delivers");
        long quads = (target - before) * APPLY_QUADS_PER_TXN + before * LAG_QUADS_PER_TXN;
        double[] seconds = new double[2];
        int[] groups = {1, FollowerConfig.DEFAULT_MAX_GROUP_VERSIONS};
        for ( int g = 0 ; g < groups.length ; g++ ) {
            String name = "fresh-" + groups[g];
            CapturingDatasetGraph fresh = captured(name);
            Follower catchingUp = follow(fresh, name, groups[g]);
            long t0 = System.nanoTime();
            catchingUp.start();
            await(() -> fresh.changeLog().publishedVersion() >= target, "the new follower catches up");
            seconds[g] = (System.nanoTime() - t0) / 1e9;
            catchingUp.close();
            fresh.close();
        }
        DatasetGraph plain = TDB2Factory.connectDataset(dir.resolve("plain").toString()).asDatasetGraph();
        long t1 = System.nanoTime();
        for ( int i = 0 ; i < firstCatchUpTxn ; i++ )
            write(plain, i, LAG_QUADS_PER_TXN);
        for ( int i = firstCatchUpTxn ; i < txnCounter ; i++ )
            write(plain, i, APPLY_QUADS_PER_TXN);
        double plainSeconds = (System.nanoTime() - t1) / 1e9;
        TDBInternal.expel(plain);
        for ( int g = 0 ; g < groups.length ; g++ )
            System.out.printf("Catch-up, %s: %d versions (%d quads) in %.2f s = %.0f versions/s, %.0f quads/s%n", describe(groups[g]), target, quads,
                              seconds[g], target / seconds[g], quads / seconds[g]);
        System.out.printf("Plain TDB2, the same transactions one each: %.2f s = %.0f quads/s%n", plainSeconds, quads / plainSeconds);
        System.out.printf("Ratios: grouped / one per transaction %.2fx; grouped / plain TDB2 %.2fx; one per transaction / plain TDB2 %.2fx%n",
                          seconds[0] / seconds[1], plainSeconds / seconds[1], plainSeconds / seconds[0]);
        sinks.close();
        leader.close();
    }

    /** p50, p99 and max of {@code values} (sorted here), in ms. */
    private static String percentiles(double[] values) {
        Arrays.sort(values);
        return String.format("p50 %.1f ms, p99 %.1f ms, max %.1f ms", pct(values, 0.50), pct(values, 0.99), values[values.length - 1]);
    }

    /** A plain consumer of the topic on a thread of its own: when each version after {@code base} arrives. */
    private final class Arrivals implements AutoCloseable {
        final Map<Long, Long> times = new ConcurrentHashMap<>();
        private volatile boolean stop;
        private final Thread thread;

        Arrivals(long base, Path tmp) throws Exception {
            Files.createDirectories(tmp);
            if ( broker.equals("kafka") ) {
                KafkaPatchReader reader = new KafkaPatchReader(kafka.clientProperties(), topic, "ds", base, tmp);
                thread = Thread.ofPlatform().daemon().start(() -> {
                    try (reader) {
                        while ( !stop )
                            for ( PatchReassembler.Patch p : reader.poll(Duration.ofMillis(100)) ) {
                                times.putIfAbsent(p.version(), System.nanoTime());
                                p.close();
                            }
                    }
                });
            } else {
                Connection nc = Nats.connect(NATS_URL);
                NatsPatchReader reader = new NatsPatchReader(nc, stream, subject, base, tmp);
                thread = Thread.ofPlatform().daemon().start(() -> {
                    try (nc; reader) {
                        while ( !stop ) {
                            Optional<PatchReassembler.Patch> p = reader.next(Duration.ofMillis(100));
                            p.ifPresent(patch -> times.putIfAbsent(patch.version(), System.nanoTime()));
                        }
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join();
        }
    }

    private static String describe(int maxGroup) {
        return maxGroup == 1 ? "one version per transaction" : "grouped (maxGroupVersions " + maxGroup + ")";
    }

    private Sink sink() {
        if ( broker.equals("kafka") )
            return new KafkaSinkProvider().create("ds", new OptionValues("kafka", Map.of("bootstrapServers", kafka.bootstrapServers(), "topic", topic)),
                                                  dir.resolve("leader-sink"));
        return new NatsSinkProvider().create("ds", new OptionValues("nats", Map.of("url", NATS_URL, "subject", subject, "stream", stream)),
                                             dir.resolve("leader-sink"));
    }

    private TopicReader reader(Path work) {
        if ( broker.equals("kafka") )
            return new KafkaTopicReaderProvider().create("ds", new OptionValues("follow", Map.of("bootstrapServers", kafka.bootstrapServers(),
                                                                                                  "topic", topic)), work);
        return new NatsSubjectReaderProvider().create("ds", new OptionValues("follow", Map.of("url", NATS_URL, "subject", subject, "stream", stream)),
                                                      work);
    }

    private CapturingDatasetGraph captured(String name) {
        DatasetGraph tdb = TDB2Factory.connectDataset(dir.resolve(name).resolve("db").toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve(name).resolve("changes"), "ds"));
        return CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(dir.resolve(name).resolve("spill")));
    }

    private Follower follow(CapturingDatasetGraph dsg, String name, int maxGroup) {
        Path work = dir.resolve(name).resolve("work");
        FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(100), Duration.ofSeconds(1), maxGroup);
        return new Follower(dsg, reader(work), config, work);
    }

    private static void write(DatasetGraph dsg, int txn, int quads) {
        Txn.executeWrite(dsg, () -> {
            for ( int q = 0 ; q < quads ; q++ )
                dsg.add(Quad.create(NodeFactory.createURI("http://ex/g" + (txn % 10)), NodeFactory.createURI("http://ex/s" + txn),
                                    NodeFactory.createURI("http://ex/p" + q), NodeFactory.createLiteralString("value " + txn + "/" + q)));
        });
    }

    /** When each version was published in a log: a group published at once gives all its versions that time. */
    private static final class PublishTimes implements AutoCloseable {
        private final ChangeLog log;
        private final Map<Long, Long> times = new ConcurrentHashMap<>();
        private final Runnable listener;
        private long noted;

        PublishTimes(ChangeLog log) {
            this.log = log;
            this.noted = log.publishedVersion();
            this.listener = this::published;
            log.addPublishListener(listener);
        }

        private synchronized void published() {
            long now = System.nanoTime();
            long v = log.publishedVersion();
            for ( ; noted < v ; noted++ )
                times.put(noted + 1, now);
        }

        long at(long version) {
            return times.get(version);
        }

        @Override
        public void close() {
            log.removePublishListener(listener);
        }
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while ( !done.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new IllegalStateException("timed out waiting until " + what);
            Thread.sleep(5);
        }
    }

    private static double pct(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)];
    }
}
