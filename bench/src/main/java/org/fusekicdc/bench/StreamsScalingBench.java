package org.fusekicdc.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.sink.kafka.TestBroker;

/**
 * Continuous queries on Kafka Streams, scaled out: the application jar run as 1, 2 and 4
 * instances (separate JVMs, one stream thread each) over one change topic of
 * {@code bench.datasets} datasets on as many partitions, each dataset {@code bench.commits}
 * commits of sensor observations, three queries (a sliding average per room with enrichment,
 * a count window, an ASK). Per run: a fresh topic and application id; the instances are started
 * and the group settles before the whole stream is produced; the time is from the first record
 * sent to the last step read (read_committed, no new step for 5 s ends the run). Figures: commits
 * per second and the ratio against 1 instance in the same run.
 * <pre>./mvnw -B -o -q -pl bench -am package -DskipTests
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.StreamsScalingBench</pre>
 * Settings (system properties): bench.datasets (8), bench.commits (400), bench.instances (1,2,4), bench.keyPartitions
 * (0,4: each instance count is run with each value of the application's fusekicdc.key.partitions, 0 running every query
 * whole per dataset, so the split by key is compared with the whole query in the same run), bench.jar (the application
 * jar, default streams/target/fuseki-cdc-streams-*-app.jar).
 */
public final class StreamsScalingBench {
    private static final String EX = "http://example.org/";
    private static final String QUERIES = """
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX ex: <http://example.org/>
        REGISTER RSTREAM <urn:q:room-average> AS
        SELECT ?room (AVG(?v) AS ?a) (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT120S STEP PT10S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } ?sen ex:inRoom ?room } GROUP BY ?room
        ----
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX ex: <http://example.org/>
        REGISTER ISTREAM <urn:q:busy> AS
        SELECT ?sen (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [ROWS 200]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } } GROUP BY ?sen
        ----
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX ex: <http://example.org/>
        REGISTER RSTREAM <urn:q:high> AS
        ASK FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT30S STEP PT10S]
        WHERE { WINDOW <urn:w> { ?o ex:value ?v FILTER(?v > 95) } }
        """;

    private record Message(int partition, String key, Map<String, String> headers, byte[] value) {}

    private StreamsScalingBench() {}

    public static void main(String... args) throws Exception {
        int datasets = Integer.getInteger("bench.datasets", 8);
        int commits = Integer.getInteger("bench.commits", 400);
        List<Integer> instances = List.of(System.getProperty("bench.instances", "1,2,4").split(",")).stream().map(s -> Integer.parseInt(s.trim())).toList();
        List<Integer> keyPartitions = List.of(System.getProperty("bench.keyPartitions", "0,4").split(",")).stream().map(s -> Integer.parseInt(s.trim())).toList();
        Path jar = jar();
        Path work = Files.createTempDirectory("streams-bench");
        List<String> queryFiles = new ArrayList<>();
        String[] qs = QUERIES.split("----\n");
        for ( int i = 0; i < qs.length; i++ ) {
            Path f = work.resolve("q" + i + ".rq");
            Files.writeString(f, qs[i]);
            queryFiles.add(f.toString());
        }
        List<Message> stream = stream(datasets, commits);
        System.out.printf(Locale.ROOT, "Workload: %d datasets x %d commits = %d patches; application jar %s%n", datasets, commits, stream.size(), jar);
        try (TestBroker broker = TestBroker.embedded(null)) {
            Map<Integer, Double> base = new HashMap<>();
            Map<Integer, Double> whole = new HashMap<>();
            long wholeSteps = 0;
            for ( int k : instances ) {
                for ( int kp : keyPartitions ) {
                    // A split run reads until it has the steps a whole run read (the same stream and queries).
                    Result r = run(broker, jar, work, queryFiles, stream, datasets, k, kp, kp > 0 ? wholeSteps : 0);
                    if ( kp == 0 )
                        wholeSteps = r.steps();
                    base.putIfAbsent(kp, r.perSecond());
                    if ( kp == 0 )
                        whole.put(k, r.perSecond());
                    System.out.printf(Locale.ROOT, "instances=%d key.partitions=%d commits/s=%.0f ratio=%.2f %s steps=%d seconds=%.1f load average: %s%n",
                                      k, kp, r.perSecond(), r.perSecond() / base.get(kp),
                                      kp > 0 && whole.containsKey(k) ? "split/whole=%.2f".formatted(r.perSecond() / whole.get(k)) : "", r.steps(),
                                      r.seconds(), load());
                }
            }
        }
    }

    private record Result(double perSecond, long steps, double seconds) {}

    private static Result run(TestBroker broker, Path jar, Path work, List<String> queryFiles, List<Message> stream, int partitions, int k,
                              int keyPartitions, long expected) throws Exception {
        String changes = "changes-" + k + "-" + keyPartitions;
        String steps = "steps-" + k + "-" + keyPartitions;
        String app = "bench-" + k + "-" + keyPartitions;
        try (Admin admin = broker.admin()) {
            admin.createTopics(List.of(new NewTopic(changes, Optional.of(partitions), Optional.empty()),
                                       new NewTopic(steps, Optional.of(1), Optional.empty()))).all().get(30, TimeUnit.SECONDS);
        }
        List<Process> procs = new ArrayList<>();
        try {
            for ( int i = 0; i < k; i++ ) {
                Path props = work.resolve(app + "-" + i + ".properties");
                Files.writeString(props, String.join("\n",
                    "bootstrap.servers=" + broker.bootstrapServers(),
                    "application.id=" + app,
                    "fusekicdc.change.topic=" + changes,
                    "fusekicdc.step.topic=" + steps,
                    "fusekicdc.queries=" + String.join(",", queryFiles),
                    "fusekicdc.key.partitions=" + keyPartitions,
                    "state.dir=" + work.resolve(app + "-state-" + i),
                    "num.stream.threads=1",
                    "commit.interval.ms=100",
                    "replication.factor=1",
                    // Tasks move to a new instance at once (nothing to catch up on: the topic is empty when they start).
                    "acceptable.recovery.lag=" + Long.MAX_VALUE,
                    "consumer.auto.offset.reset=earliest",
                    // The stream's commit times are in the past: windows close on commits only (no wall-clock catch-up after the run).
                    "fusekicdc.window.close.delay.ms=" + TimeUnit.DAYS.toMillis(36_500), ""));
                procs.add(new ProcessBuilder(javaBinary(), "-Xmx1g", "-jar", jar.toString(), props.toString()).redirectErrorStream(true)
                              .redirectOutput(work.resolve(app + "-" + i + ".log").toFile()).start());
            }
            awaitGroup(broker, app, k);
            long t0 = System.nanoTime();
            produce(broker, changes, stream);
            long[] last = { t0 };
            long count = readUntilQuiet(broker, steps, last, expected);
            double seconds = (last[0] - t0) / 1e9;
            return new Result(stream.size() / seconds, count, seconds);
        } finally {
            for ( Process p : procs ) {
                p.destroy();
                if ( !p.waitFor(30, TimeUnit.SECONDS) )
                    p.destroyForcibly().waitFor();
            }
        }
    }

    /** Wait until the application's group is stable with {@code k} members that each hold a partition. */
    private static void awaitGroup(TestBroker broker, String app, int k) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int stableChecks = 0;
        try (Admin admin = broker.admin()) {
            while ( stableChecks < 3 ) {
                if ( System.nanoTime() > deadline )
                    throw new IllegalStateException("the " + k + " instances did not form a stable group within 120 s; see their logs");
                boolean ready;
                try {
                    ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(app)).all().get(10, TimeUnit.SECONDS).get(app);
                    ready = g.groupState() == GroupState.STABLE && g.members().size() == k
                            && g.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
                } catch (ExecutionException ex) {
                    if ( !(ex.getCause() instanceof GroupIdNotFoundException) )
                        throw ex;
                    ready = false;  // the instances have not joined yet
                }
                stableChecks = ready ? stableChecks + 1 : 0;
                TimeUnit.MILLISECONDS.sleep(500);
            }
        }
    }

    private static void produce(TestBroker broker, String topic, List<Message> stream) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for ( Message m : stream ) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, m.partition(), m.key(), m.value());
                m.headers().forEach((h, v) -> r.headers().add(h, v.getBytes(StandardCharsets.UTF_8)));
                producer.send(r);
            }
            producer.flush();
        }
    }

    /**
     * Read the step topic until no step has come for 5 s, or, when {@code expected} is positive, until that many
     * steps have come (or none for 300 s): a split run's steps cross two more topics and may pause longer than 5 s;
     * the count, and in {@code last} when the last one came.
     */
    private static long readUntilQuiet(TestBroker broker, String topic, long[] last, long expected) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long count = 0;
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long quietSince = System.nanoTime();
            long limit = TimeUnit.SECONDS.toNanos(expected > 0 ? 300 : 5);
            while ( (count == 0 ? System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(300) : System.nanoTime() - quietSince < limit)
                    && (expected <= 0 || count < expected) ) {
                ConsumerRecords<byte[], byte[]> rs = c.poll(Duration.ofMillis(100));
                if ( !rs.isEmpty() ) {
                    count += rs.count();
                    last[0] = System.nanoTime();
                    quietSince = last[0];
                }
            }
        }
        return count;
    }

    /** Each dataset's commits as the Kafka sink writes them (RDF Patch text, whole), dataset d on partition d, interleaved. */
    private static List<Message> stream(int datasets, int commits) throws IOException {
        List<Message> out = new ArrayList<>();
        Random rnd = new Random(42);
        long t0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        UUID[] prev = new UUID[datasets];
        for ( int v = 1; v <= commits; v++ ) {
            for ( int d = 0; d < datasets; d++ ) {
                String ds = "ds" + d;
                long time = t0 + v * 2000L + d;
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                RDFChangesWriterText w = RDFPatchOps.textWriter(bytes);
                w.txnBegin();
                if ( v == 1 ) {
                    for ( int s = 0; s < 20; s++ )
                        w.add(null, uri("s" + s), uri("inRoom"), uri("r" + (s % 5)));
                } else {
                    for ( int i = 0; i < 5; i++ ) {
                        Node o = uri("o" + v + "-" + i);
                        w.add(null, o, uri("sensor"), uri("s" + rnd.nextInt(20)));
                        w.add(null, o, uri("value"), NodeFactory.createLiteralDT(Integer.toString(rnd.nextInt(100)), XSDDatatype.XSDinteger));
                    }
                }
                w.txnCommit();
                w.finish();
                UUID id = UUID.randomUUID();
                Map<String, String> h = new java.util.LinkedHashMap<>();
                h.put(PatchMessages.CONTENT_TYPE, PatchRecord.TEXT);
                h.put(PatchMessages.ID, id.toString());
                if ( prev[d] != null )
                    h.put(PatchMessages.PREV, prev[d].toString());
                h.put(PatchMessages.VERSION, Integer.toString(v));
                h.put(PatchMessages.DATASET, ds);
                h.put(PatchMessages.TIMESTAMP, Instant.ofEpochMilli(time).toString());
                prev[d] = id;
                out.add(new Message(d, ds, h, bytes.toByteArray()));
            }
        }
        return out;
    }

    private static Node uri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    private static Path jar() throws IOException {
        String given = System.getProperty("bench.jar");
        if ( given != null )
            return Path.of(given);
        try (var files = Files.newDirectoryStream(Path.of("streams", "target"), "fuseki-cdc-streams-*-app.jar")) {
            for ( Path p : files )
                return p.toAbsolutePath();
        }
        throw new IllegalStateException("No streams/target/fuseki-cdc-streams-*-app.jar: build it with ./mvnw -B -o -q -pl streams -am package -DskipTests, or set -Dbench.jar");
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException ex) {
            return "unknown";
        }
    }
}
