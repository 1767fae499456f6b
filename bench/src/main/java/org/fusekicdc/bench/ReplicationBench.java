package org.fusekicdc.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
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
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.sink.nats.NatsSinkProvider;
import org.fusekicdc.sink.nats.NatsSubjectReaderProvider;

/**
 * Replication over NATS JetStream, in one JVM: a leader (TDB2, capture, NATS sink) and a
 * follower (TDB2, capture, {@link Follower}).
 * <ol>
 * <li><b>Lag.</b> The leader commits small transactions (5 quads) at a steady rate; for each
 * version, the time from the leader's publish to the follower's publish (both noted by publish
 * listeners with {@code System.nanoTime()}): p50, p99, max.</li>
 * <li><b>Apply rate.</b> The leader commits transactions of 50 quads with no follower running;
 * then a new, empty follower starts and applies them all: quads/s, against the baseline of the
 * same transactions written straight into a plain TDB2 dataset (no capture, no broker) in the
 * same run.</li>
 * </ol>
 * Settings (system properties): bench.rate (200 tx/s), bench.seconds (20), bench.applyTxns (2000).
 * Needs a NATS server with JetStream at NATS_URL, else nats://127.0.0.1:4222.
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.ReplicationBench</pre>
 */
public final class ReplicationBench {
    private static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
    private static final int RATE = Integer.getInteger("bench.rate", 200);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final int APPLY_TXNS = Integer.getInteger("bench.applyTxns", 2000);
    private static final int APPLY_QUADS_PER_TXN = 50;

    private final Path dir;
    private final String subject;
    private final String stream;

    private ReplicationBench(Path dir) {
        this.dir = dir;
        String id = UUID.randomUUID().toString().substring(0, 8);
        this.subject = "fuseki-cdc-bench.replication." + id;
        this.stream = "FUSEKI_CDC_BENCH_REPLICATION_" + id.toUpperCase();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("replication-bench");
        ReplicationBench bench = new ReplicationBench(dir);
        try (Connection nats = Nats.connect(NATS_URL)) {
            try {
                bench.run();
            } finally {
                nats.jetStreamManagement().deleteStream(bench.stream);
            }
        }
        System.exit(0);
    }

    private void run() throws Exception {
        System.out.printf("Replication over NATS JetStream (%s): lag at %d tx/s for %d s, then apply rate over %d transactions of %d quads%n",
                          NATS_URL, RATE, SECONDS, APPLY_TXNS, APPLY_QUADS_PER_TXN);
        CapturingDatasetGraph leader = captured("leader");
        SinkRunners sinks = new SinkRunners(leader.changeLog());
        sinks.add(new NatsSinkProvider().create("ds", new OptionValues("nats", Map.of("url", NATS_URL, "subject", subject, "stream", stream)),
                                                dir.resolve("leader-sink")), SinkConfig.DEFAULTS);
        sinks.start();

        // ---- Lag
        Map<Long, Long> committed = new ConcurrentHashMap<>();
        Map<Long, Long> applied = new ConcurrentHashMap<>();
        leader.changeLog().addPublishListener(() -> committed.putIfAbsent(leader.changeLog().publishedVersion(), System.nanoTime()));
        CapturingDatasetGraph follower = captured("follower");
        follower.changeLog().addPublishListener(() -> applied.putIfAbsent(follower.changeLog().publishedVersion(), System.nanoTime()));
        Follower following = follow(follower, "follower");
        following.start();
        long start = System.nanoTime();
        int txns = RATE * SECONDS;
        for ( int i = 0 ; i < txns ; i++ ) {
            long due = start + (long)(i * 1e9 / RATE);
            long wait = due - System.nanoTime();
            if ( wait > 0 )
                LockSupport.parkNanos(wait);
            write(leader, i, 5);
        }
        long head = leader.changeLog().headVersion();
        await(() -> follower.changeLog().publishedVersion() >= head, "the follower catches up");
        double[] lags = new double[(int)head];
        for ( long v = 1 ; v <= head ; v++ )
            lags[(int)v - 1] = (applied.get(v) - committed.get(v)) / 1e6;
        Arrays.sort(lags);
        System.out.printf("Lag, leader commit to follower commit, %d versions: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                          head, pct(lags, 0.50), pct(lags, 0.99), lags[lags.length - 1]);
        following.close();
        follower.close();

        // ---- Apply rate
        long before = leader.changeLog().headVersion();
        for ( int i = 0 ; i < APPLY_TXNS ; i++ )
            write(leader, 1_000_000 + i, APPLY_QUADS_PER_TXN);
        long target = leader.changeLog().headVersion();
        await(() -> sinks.status().get(0).cursor() >= target, "the leader's sink delivers");
        CapturingDatasetGraph fresh = captured("fresh");
        Follower catchingUp = follow(fresh, "fresh");
        long t0 = System.nanoTime();
        catchingUp.start();
        await(() -> fresh.changeLog().publishedVersion() >= target, "the new follower catches up");
        double followerSeconds = (System.nanoTime() - t0) / 1e9;
        catchingUp.close();
        fresh.close();
        long quads = (long)(target - before) * APPLY_QUADS_PER_TXN + before * 5;

        DatasetGraph plain = TDB2Factory.connectDataset(dir.resolve("plain").toString()).asDatasetGraph();
        long t1 = System.nanoTime();
        for ( int i = 0 ; i < txns ; i++ )
            write(plain, i, 5);
        for ( int i = 0 ; i < APPLY_TXNS ; i++ )
            write(plain, 1_000_000 + i, APPLY_QUADS_PER_TXN);
        double plainSeconds = (System.nanoTime() - t1) / 1e9;
        TDBInternal.expel(plain);
        System.out.printf("Apply rate: a new follower applied %d versions (%d quads) in %.2f s = %.0f quads/s;"
                          + " the same transactions into plain TDB2: %.2f s = %.0f quads/s; ratio follower/plain %.2f%n",
                          target, quads, followerSeconds, quads / followerSeconds, plainSeconds, quads / plainSeconds, plainSeconds / followerSeconds);
        sinks.close();
        leader.close();
    }

    private CapturingDatasetGraph captured(String name) {
        DatasetGraph tdb = TDB2Factory.connectDataset(dir.resolve(name).resolve("db").toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve(name).resolve("changes"), "ds"));
        return CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(dir.resolve(name).resolve("spill")));
    }

    private Follower follow(CapturingDatasetGraph dsg, String name) {
        var source = new NatsSubjectReaderProvider().create("ds", new OptionValues("follow", Map.of("url", NATS_URL, "subject", subject, "stream", stream)),
                                                            dir.resolve(name).resolve("work"));
        FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(100), Duration.ofSeconds(1));
        return new Follower(dsg, source, config, dir.resolve(name).resolve("work"));
    }

    private static void write(DatasetGraph dsg, int txn, int quads) {
        Txn.executeWrite(dsg, () -> {
            for ( int q = 0 ; q < quads ; q++ )
                dsg.add(Quad.create(NodeFactory.createURI("http://ex/g" + (txn % 10)), NodeFactory.createURI("http://ex/s" + txn),
                                    NodeFactory.createURI("http://ex/p" + q), NodeFactory.createLiteralString("value " + txn + "/" + q)));
        });
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
