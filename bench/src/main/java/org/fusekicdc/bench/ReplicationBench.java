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
import org.apache.jena.sparql.core.DatasetGraphWrapper;
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
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchRecord;
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
 * once with the default, in turn, {@code bench.rounds} times. Where the time goes, each version's
 * own stages: the leader's capture and log append, its TDB2 commit, its publish; the sink's
 * send and the acknowledgement the runner sees (a sink wrapper); arrival at a plain consumer of
 * the topic; the follower's reader handing the patch over (a reader wrapper); the follower's
 * apply and log append, its TDB2 commit (a store wrapper that times commits), its publish.</li>
 * <li><b>Catch-up.</b> The leader commits transactions of 50 quads with no follower running;
 * then new, empty followers apply them all: one version per transaction, and the default
 * (groups), against the same transactions written straight into a plain TDB2 dataset one
 * transaction each (no capture, no broker), in the same run.</li>
 * </ol>
 * Settings (system properties): bench.brokers (nats,kafka), bench.rate (200 tx/s),
 * bench.seconds (15; 0 skips the lag runs), bench.rounds (2), bench.groups (1,1000: the
 * followers' maxGroupVersions, in turn), bench.variants (shipped; also followerLogNoFsync, which
 * turns the follower's change-log fsync off to measure its share, never a setting to run with),
 * bench.catchUp (true), bench.applyTxns (2000). NATS: a server with JetStream at NATS_URL, else
 * nats://127.0.0.1:4222; Kafka: KAFKA_BOOTSTRAP_SERVERS, else a broker in this JVM.
 * <pre>java -Dbench.groups=1000 -Dbench.catchUp=false -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.ReplicationBench</pre>
 */
public final class ReplicationBench {
    private static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
    private static final List<String> BROKERS = List.of(System.getProperty("bench.brokers", "nats,kafka").split(","));
    private static final int RATE = Integer.getInteger("bench.rate", 200);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 15);
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    private static final int APPLY_TXNS = Integer.getInteger("bench.applyTxns", 2000);
    private static final int[] GROUPS = Arrays.stream(System.getProperty("bench.groups", "1," + FollowerConfig.DEFAULT_MAX_GROUP_VERSIONS).split(","))
                                              .mapToInt(Integer::parseInt).toArray();
    private static final List<Variant> VARIANTS = Arrays.stream(System.getProperty("bench.variants", "shipped").split(",")).map(Variant::named).toList();
    private static final boolean CATCH_UP = Boolean.parseBoolean(System.getProperty("bench.catchUp", "true"));
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
    private final Map<String, TimedStore> stores = new ConcurrentHashMap<>();
    private TimedStore leaderStore;
    private TimedSink leaderSink;

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
        CapturingDatasetGraph leader = captured("leader", true);
        leaderStore = stores.get("leader");
        SinkRunners sinks = new SinkRunners(leader.changeLog());
        leaderSink = new TimedSink(sink());
        sinks.add(leaderSink, SinkConfig.DEFAULTS);
        sinks.start();

        // ---- Lag: followers that keep up, one version per transaction and grouped, in turn, for each variant.
        if ( SECONDS > 0 ) {
            for ( int round = 1 ; round <= ROUNDS ; round++ ) {
                for ( int maxGroup : GROUPS ) {
                    for ( Variant variant : VARIANTS )
                        lagRun(leader, round, maxGroup, variant);
                }
            }
        }
        if ( !CATCH_UP ) {
            sinks.close();
            leader.close();
            return;
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
            CapturingDatasetGraph fresh = captured(name, true);
            Follower catchingUp = new Follower(fresh, reader(dir.resolve(name).resolve("work"), Map.of()), followerConfig(groups[g]),
                                               dir.resolve(name).resolve("work"));
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

    /**
     * One lag run: a new follower catches up, then the leader commits {@code bench.rate}
     * transactions a second for {@code bench.seconds}; prints leader commit to follower commit and
     * the stages in between, each version's own (p50 / p99).
     */
    private void lagRun(CapturingDatasetGraph leader, int round, int maxGroup, Variant variant) throws Exception {
        String name = "lag-" + round + "-" + maxGroup + "-" + variant.name();
        CapturingDatasetGraph follower = captured(name, variant.followerLogFsync());
        TimedStore followerStore = stores.get(name);
        Path work = dir.resolve(name).resolve("work");
        TimedReader reader = new TimedReader(reader(work, variant.kafkaConsumer()));
        Follower following = new Follower(follower, reader, followerConfig(maxGroup), work);
        following.start();
        long base = leader.changeLog().headVersion();
        await(() -> follower.changeLog().publishedVersion() >= base, "the follower catches up before the lag run");
        PublishTimes committed = new PublishTimes(leader.changeLog(), leaderStore);
        PublishTimes applied = new PublishTimes(follower.changeLog(), followerStore);
        Arrivals arrivals = new Arrivals(base, dir.resolve(name).resolve("arrivals"), variant.kafkaConsumer());
        String loadBefore = BenchStats.loadAverage();
        long start = System.nanoTime();
        int txns = RATE * SECONDS;
        long[] began = new long[txns];
        double[] leaderTxn = new double[txns];
        for ( int i = 0 ; i < txns ; i++ ) {
            long wait = start + (long)(i * 1e9 / RATE) - System.nanoTime();
            if ( wait > 0 )
                LockSupport.parkNanos(wait);
            began[i] = System.nanoTime();
            write(leader, txnCounter++, LAG_QUADS_PER_TXN);
            leaderTxn[i] = (System.nanoTime() - began[i]) / 1e6;
        }
        double achieved = txns / ((System.nanoTime() - start) / 1e9);
        long head = leader.changeLog().headVersion();
        await(() -> follower.changeLog().publishedVersion() >= head, "the follower catches up");
        await(() -> arrivals.times.size() >= head - base, "the plain consumer has every version");
        arrivals.close();
        committed.close();
        applied.close();
        following.close();
        follower.close();
        int n = (int)(head - base);
        Stages st = new Stages(n);
        for ( long v = base + 1 ; v <= head ; v++ ) {
            int i = (int)(v - base - 1);
            long pub = committed.at(v);
            st.add("leader: txn begin -> store commit begins (capture, log append + fsync)", i, committed.commitStart(v) - began[i]);
            st.add("leader: TDB2 commit", i, committed.commitEnd(v) - committed.commitStart(v));
            st.add("leader: store commit -> log publish", i, pub - committed.commitEnd(v));
            st.add("sink: log publish -> send", i, leaderSink.sent.get(v) - pub);
            st.add("sink: send -> broker ack", i, leaderSink.acked.get(v) - leaderSink.sent.get(v));
            st.add("broker: log publish -> arrival at a plain consumer", i, arrivals.times.get(v) - pub);
            st.add("follower: log publish -> reader poll returns it", i, reader.polled.get(v) - pub);
            st.add("follower: poll -> store commit begins (apply, log append + fsync)", i, applied.commitStart(v) - reader.polled.get(v));
            st.add("follower: TDB2 commit", i, applied.commitEnd(v) - applied.commitStart(v));
            st.add("follower: store commit -> log publish", i, applied.at(v) - applied.commitEnd(v));
            st.add("TOTAL: leader publish -> follower publish", i, applied.at(v) - pub);
        }
        System.out.printf("Lag round %d, %s, variant %s: %d versions at %.0f tx/s (%d asked), load average %s -> %s%n", round, describe(maxGroup),
                          variant.name(), n, achieved, RATE, loadBefore, BenchStats.loadAverage());
        st.print();
        System.out.printf("  %-70s %s%n", "leader's own write transaction (5 quads, whole)", percentiles(leaderTxn));
    }

    /** Per-version durations of named stages, printed as p50 / p99 / max in ms. */
    private static final class Stages {
        private final int n;
        private final Map<String, double[]> values = new java.util.LinkedHashMap<>();

        Stages(int n) {
            this.n = n;
        }

        void add(String stage, int i, long nanos) {
            values.computeIfAbsent(stage, k -> new double[n])[i] = nanos / 1e6;
        }

        void print() {
            values.forEach((stage, v) -> System.out.printf("  %-70s %s%n", stage, percentiles(v)));
        }
    }

    /** Which follower settings a lag run uses: the shipped ones, or one changed to measure its share. */
    private record Variant(String name, boolean followerLogFsync, Map<String, String> kafkaConsumer) {
        static Variant named(String name) {
            return switch (name) {
                case "shipped" -> new Variant(name, true, Map.of());
                // Measurement only: a follower must fsync its log (crash-exactness).
                case "followerLogNoFsync" -> new Variant(name, false, Map.of());
                // The Kafka consumer's wait for fetch.min.bytes (1): the follower's reader and the plain consumer.
                case "kafkaFetchWait500" -> new Variant(name, true, Map.of("fetch.max.wait.ms", "500"));
                case "kafkaFetchWait5" -> new Variant(name, true, Map.of("fetch.max.wait.ms", "5"));
                default -> throw new IllegalArgumentException("bench.variants: unknown variant " + name);
            };
        }
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

        Arrivals(long base, Path tmp, Map<String, String> consumerProperties) throws Exception {
            Files.createDirectories(tmp);
            if ( broker.equals("kafka") ) {
                Map<String, Object> props = new java.util.HashMap<>(kafka.clientProperties());
                props.putAll(consumerProperties);
                KafkaPatchReader reader = new KafkaPatchReader(props, topic, "ds", base, tmp);
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

    private TopicReader reader(Path work, Map<String, String> kafkaConsumer) {
        if ( broker.equals("kafka") ) {
            Map<String, String> o = new java.util.HashMap<>(Map.of("bootstrapServers", kafka.bootstrapServers(), "topic", topic));
            if ( !kafkaConsumer.isEmpty() )
                o.put("consumerProperties", kafkaConsumer.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                                                             .collect(java.util.stream.Collectors.joining("\n")));
            return new KafkaTopicReaderProvider().create("ds", new OptionValues("follow", o), work);
        }
        return new NatsSubjectReaderProvider().create("ds", new OptionValues("follow", Map.of("url", NATS_URL, "subject", subject, "stream", stream)),
                                                      work);
    }

    /** A TDB2 dataset whose commits are timed, captured into a change log of its own. */
    private CapturingDatasetGraph captured(String name, boolean logFsync) {
        TimedStore store = new TimedStore(TDB2Factory.connectDataset(dir.resolve(name).resolve("db").toString()).asDatasetGraph());
        stores.put(name, store);
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve(name).resolve("changes"), "ds").withFsync(logFsync));
        return CapturingDatasetGraph.create(store, log, CaptureConfig.defaults(dir.resolve(name).resolve("spill")));
    }

    private static FollowerConfig followerConfig(int maxGroup) {
        return new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                  Duration.ofMillis(100), Duration.ofSeconds(1), maxGroup);
    }

    private static void write(DatasetGraph dsg, int txn, int quads) {
        Txn.executeWrite(dsg, () -> {
            for ( int q = 0 ; q < quads ; q++ )
                dsg.add(Quad.create(NodeFactory.createURI("http://ex/g" + (txn % 10)), NodeFactory.createURI("http://ex/s" + txn),
                                    NodeFactory.createURI("http://ex/p" + q), NodeFactory.createLiteralString("value " + txn + "/" + q)));
        });
    }

    /**
     * When each version was published in a log, and when the store commit before that publish
     * began and ended: a group published at once gives all its versions the same times. The
     * listener runs on the committing thread right after the publish, so the store's last
     * commit is this one's.
     */
    private static final class PublishTimes implements AutoCloseable {
        private final ChangeLog log;
        private final TimedStore store;
        private final Map<Long, long[]> times = new ConcurrentHashMap<>();
        private final Runnable listener;
        private long noted;

        PublishTimes(ChangeLog log, TimedStore store) {
            this.log = log;
            this.store = store;
            this.noted = log.publishedVersion();
            this.listener = this::published;
            log.addPublishListener(listener);
        }

        private synchronized void published() {
            long now = System.nanoTime();
            long v = log.publishedVersion();
            for ( ; noted < v ; noted++ )
                times.put(noted + 1, new long[] {now, store.commitStart, store.commitEnd});
        }

        long at(long version) {
            return times.get(version)[0];
        }

        long commitStart(long version) {
            return times.get(version)[1];
        }

        long commitEnd(long version) {
            return times.get(version)[2];
        }

        @Override
        public void close() {
            log.removePublishListener(listener);
        }
    }

    /** A store whose commits note when they begin and end (commits are serialised by the capture layer). */
    private static final class TimedStore extends DatasetGraphWrapper {
        volatile long commitStart;
        volatile long commitEnd;

        TimedStore(DatasetGraph base) {
            super(base);
        }

        @Override
        public void commit() {
            commitStart = System.nanoTime();
            super.commit();
            commitEnd = System.nanoTime();
        }
    }

    /** A sink that notes, per version, when the runner handed it over and when the runner saw the destination's acknowledgement. */
    private static final class TimedSink implements Sink {
        private final Sink sink;
        final Map<Long, Long> sent = new ConcurrentHashMap<>();
        final Map<Long, Long> acked = new ConcurrentHashMap<>();

        TimedSink(Sink sink) {
            this.sink = sink;
        }

        @Override
        public String name() {
            return sink.name();
        }

        @Override
        public long open() throws SinkException {
            return sink.open();
        }

        @Override
        public long open(PatchIds ids) throws SinkException {
            return sink.open(ids);
        }

        @Override
        public void deliver(PatchRecord patch) throws SinkException {
            sent.putIfAbsent(patch.version(), System.nanoTime());
            sink.deliver(patch);
            acked.putIfAbsent(patch.version(), System.nanoTime());
        }

        @Override
        public void deliver(List<PatchRecord> patches) throws SinkException {
            long t = System.nanoTime();
            patches.forEach(p -> sent.putIfAbsent(p.version(), t));
            sink.deliver(patches);
            long done = System.nanoTime();
            patches.forEach(p -> acked.putIfAbsent(p.version(), done));
        }

        @Override
        public int maxBatch() {
            return sink.maxBatch();
        }

        @Override
        public int maxInFlight() {
            return sink.maxInFlight();
        }

        @Override
        public Delivery send(List<PatchRecord> patches) throws SinkException {
            long t = System.nanoTime();
            patches.forEach(p -> sent.putIfAbsent(p.version(), t));
            Delivery d = sink.send(patches);
            return () -> {
                d.await();
                long done = System.nanoTime();
                patches.forEach(p -> acked.putIfAbsent(p.version(), done));
            };
        }

        @Override
        public void close() {
            sink.close();
        }
    }

    /** A follower's reader that notes when each patch is handed to the follower. */
    private static final class TimedReader implements TopicReader {
        private final TopicReader reader;
        final Map<Long, Long> polled = new ConcurrentHashMap<>();

        TimedReader(TopicReader reader) {
            this.reader = reader;
        }

        @Override
        public String describe() {
            return reader.describe();
        }

        @Override
        public void open(long afterVersion) throws Exception {
            reader.open(afterVersion);
        }

        @Override
        public Optional<Incoming> poll(Duration timeout) throws Exception {
            Optional<Incoming> in = reader.poll(timeout);
            if ( in.isPresent() && in.get() instanceof PatchMessage m )
                polled.putIfAbsent(m.patch().version(), System.nanoTime());
            return in;
        }

        @Override
        public void close() {
            reader.close();
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
