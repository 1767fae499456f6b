package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import org.fusekicdc.sink.kafka.TestBroker;

/**
 * Replicas on Kafka side by side: fuseki-cdc's follower (Fuseki 6.2.0, TDB2) and
 * jena-fuseki-kafka 1.5.3's connector (Fuseki 5.3.0, TDB2, the Fuseki it is built for), each in
 * a child JVM reading the same stream of patches ({@link PatchStream}: RDF Patch messages with
 * {@code Content-Type}, which both read) from a topic of its own on one Kafka broker (in this
 * JVM, or {@code KAFKA_BOOTSTRAP_SERVERS}), and each against plain Fuseki of its own version.
 * <ol>
 * <li><b>Catch-up.</b> All {@code bench.versions} versions are on the topic before the replica
 * starts; the time from launching its JVM until a query sees the last version, less the time
 * the same server takes from launch to its first answer on an empty topic (start-up, measured
 * just before). The baseline: plain Fuseki of the same version started, then sent the same
 * patches one POST each ({@code Content-Type: application/rdf-patch} to {@code /ds}, one
 * transaction each), timed from the first request to the last answer.</li>
 * <li><b>Lag.</b> The caught-up replica keeps running; the bench produces {@code bench.rate}
 * patches a second for {@code bench.seconds} s to its topic. Lag of a version = when a query on
 * the replica first sees it (polled every 2 ms, {@link ReplicaProbe#follow}) minus the broker's
 * append time of its message (the topic has {@code message.timestamp.type=LogAppendTime}).</li>
 * </ol>
 * Each replica's quads are counted after each phase and must be exactly the stream's.
 * <p>
 * Settings (system properties): bench.versions (6000), bench.quadsPerVersion (20), bench.rate
 * (200), bench.seconds (20), bench.heap (2g, every server), bench.fkClasspath
 * (bench/target/jena-fuseki-kafka-classpath.txt), bench.fkLauncher
 * (bench/jena-fuseki-kafka/FusekiKafkaMain.java), bench.fkJava (this JVM's java), bench.keep
 * (false: keep the work directory with each server's logs). Run from the repository's root.
 * <pre>
 * ./mvnw -B -q -pl bench -am package -DskipTests
 * ./mvnw -B -q -f bench/jena-fuseki-kafka/pom.xml package
 * java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.FusekiKafkaComparisonBench
 * </pre>
 */
public final class FusekiKafkaComparisonBench {
    private static final int VERSIONS = Integer.getInteger("bench.versions", 6000);
    private static final int QUADS = Integer.getInteger("bench.quadsPerVersion", 20);
    private static final int RATE = Integer.getInteger("bench.rate", 200);
    private static final int SECONDS = Integer.getInteger("bench.seconds", 20);
    private static final String HEAP = System.getProperty("bench.heap", "2g");
    private static final Path FK_CLASSPATH = Path.of(System.getProperty("bench.fkClasspath", "bench/target/jena-fuseki-kafka-classpath.txt"));
    private static final Path FK_LAUNCHER = Path.of(System.getProperty("bench.fkLauncher", "bench/jena-fuseki-kafka/FusekiKafkaMain.java"));
    private static final String JAVA = ProcessHandle.current().info().command().orElse("java");
    private static final String FK_JAVA = System.getProperty("bench.fkJava", JAVA);
    private static final boolean KEEP = Boolean.getBoolean("bench.keep");
    private static final long POLL_MILLIS = 2;

    /** Starts a replica of a topic in a fresh directory. */
    @FunctionalInterface
    private interface ReplicaLauncher {
        ChildServer launch(String label, Path dir, String topic) throws IOException;
    }

    /** Starts a plain server in a fresh directory. */
    @FunctionalInterface
    private interface PlainLauncher {
        ChildServer launch(String label, Path dir) throws IOException;
    }

    private record Replica(String name, double startUpSeconds, double launchToLastSeconds, long[] lagMillis, int windowMisses, String load) {
        double catchUpSeconds() {
            return launchToLastSeconds - startUpSeconds;
        }
    }

    private record Plain(String name, double seconds, String load) {}

    private final Path dir;
    private final PatchStream stream;
    private final TopicFeed feed;
    private final HttpLoad http = new HttpLoad();
    private final String run = UUID.randomUUID().toString().substring(0, 8);

    private FusekiKafkaComparisonBench(Path dir, PatchStream stream, TopicFeed feed) {
        this.dir = dir;
        this.stream = stream;
        this.feed = feed;
    }

    public static void main(String[] args) throws Exception {
        String fkClasspath = fkClasspath();
        Path dir = Files.createTempDirectory("fuseki-kafka-bench");
        int lagVersions = RATE * SECONDS;
        try (TestBroker kafka = TestBroker.obtain(); TopicFeed feed = new TopicFeed(kafka)) {
            BenchReport.progress("broker: " + kafka + "; writing the stream: " + (VERSIONS + lagVersions) + " versions of " + QUADS + " quads");
            PatchStream stream = PatchStream.build(dir.resolve("leader"), VERSIONS + lagVersions, QUADS);
            ComparedServers servers = new ComparedServers(kafka.bootstrapServers(), jvmArgs(JAVA), FK_JAVA, jvmArgs(FK_JAVA), fkClasspath, FK_LAUNCHER);
            FusekiKafkaComparisonBench bench = new FusekiKafkaComparisonBench(dir, stream, feed);
            Plain plain53 = bench.plain("plain Fuseki 5.3.0, one POST /ds (RDF Patch) each", "plain53", servers::plain53);
            Replica fk = bench.replica("jena-fuseki-kafka 1.5.3 (Fuseki 5.3.0)", "fk", servers::fusekiKafka);
            Plain plain62 = bench.plain("plain Fuseki 6.2.0, one POST /ds (RDF Patch) each", "plain62", servers::plain62);
            Replica cdc = bench.replica("fuseki-cdc follower (Fuseki 6.2.0)", "cdc", servers::cdcFollower);
            bench.report(List.of(cdc, fk), List.of(plain62, plain53));
        } finally {
            if ( KEEP )
                System.out.println("# work directory kept: " + dir);
            else
                BenchFiles.deleteTree(dir);
        }
        System.exit(0);
    }

    private static String fkClasspath() throws IOException {
        if ( !Files.isRegularFile(FK_CLASSPATH) )
            throw new IllegalStateException("No classpath for jena-fuseki-kafka at " + FK_CLASSPATH.toAbsolutePath()
                                            + ": run ./mvnw -B -q -f bench/jena-fuseki-kafka/pom.xml package from the repository's root"
                                            + " (or set -Dbench.fkClasspath=<file>)");
        return Files.readString(FK_CLASSPATH).trim();
    }

    private static List<String> jvmArgs(String java) {
        List<String> a = new ArrayList<>(List.of("-Xmx" + HEAP, "-XX:+UseG1GC"));
        // Only this JVM's version is known: another java gets no options that an older one refuses.
        if ( java.equals(JAVA) && Runtime.version().feature() >= 24 )
            a.add("--sun-misc-unsafe-memory-access=allow");
        return a;
    }

    private Replica replica(String name, String tag, ReplicaLauncher launcher) throws Exception {
        String topic = "compare-" + tag + "-" + run;
        String empty = topic + "-empty";
        feed.createTopic(topic);
        feed.createTopic(empty);
        feed.sendAll(topic, stream.versions(1, VERSIONS));
        BenchReport.progress(name + ": start-up on an empty topic");
        long t0 = System.nanoTime();
        try (ChildServer s = launcher.launch(tag + "-startup", dir.resolve(tag + "-startup"), empty)) {
            s.awaitUp(http.http, Duration.ofMinutes(5));
        }
        double startUp = (System.nanoTime() - t0) / 1e9;

        BenchReport.progress(name + ": catch-up of " + VERSIONS + " versions");
        long t1 = System.nanoTime();
        try (ChildServer s = launcher.launch(tag, dir.resolve(tag), topic)) {
            ReplicaProbe probe = new ReplicaProbe(http.http, s);
            if ( !probe.awaitVersion(VERSIONS, Duration.ofMinutes(30)) )
                throw new IOException(name + ": version " + VERSIONS + " not visible within 30 minutes\n" + s.logTail());
            double launchToLast = (System.nanoTime() - t1) / 1e9;
            String catchUpLoad = BenchStats.loadAverage();
            BenchReport.progress(String.format(Locale.ROOT, "%s: start-up %.1f s, launch to last version %.1f s (load %s)", name, startUp, launchToLast,
                                               catchUpLoad));
            requireQuads(s, (long)VERSIONS * QUADS);

            long first = VERSIONS + 1;
            long last = stream.messages.size();
            BenchReport.progress(name + ": lag at " + RATE + " patches/s for " + SECONDS + " s");
            CompletableFuture<long[]> seen = CompletableFuture.supplyAsync(() -> {
                try {
                    return probe.follow(first, last, POLL_MILLIS, Duration.ofMinutes(10));
                } catch (Exception ex) {
                    throw new IllegalStateException(ex);
                }
            });
            long[] appended = feed.sendAt(topic, stream.versions(first, last), RATE);
            long[] visible;
            try {
                visible = seen.get();
            } catch (ExecutionException ex) {
                throw new IOException(name + ": following the lag run failed: " + ex.getCause().getMessage(), ex.getCause());
            }
            String lagLoad = BenchStats.loadAverage();
            long[] lag = new long[visible.length];
            for ( int i = 0 ; i < lag.length ; i++ )
                lag[i] = visible[i] - appended[i];
            long[] sorted = lag.clone();
            Arrays.sort(sorted);
            BenchReport.progress(String.format(Locale.ROOT, "%s: lag p50 %.0f ms, p99 %.0f ms (load %s)", name, BenchStats.pct(sorted, 0.5),
                                               BenchStats.pct(sorted, 0.99), lagLoad));
            requireQuads(s, last * QUADS);
            return new Replica(name, startUp, launchToLast, lag, probe.windowMisses(), catchUpLoad + " / " + lagLoad);
        }
    }

    private Plain plain(String name, String tag, PlainLauncher launcher) throws Exception {
        BenchReport.progress(name + ": " + VERSIONS + " patches over HTTP");
        try (ChildServer s = launcher.launch(tag, dir.resolve(tag))) {
            s.awaitUp(http.http, Duration.ofMinutes(2));
            URI uri = URI.create(s.base());
            long t0 = System.nanoTime();
            for ( PatchStream.Message m : stream.versions(1, VERSIONS) ) {
                HttpRequest req = HttpRequest.newBuilder(uri).header("Content-Type", m.headers().get("Content-Type"))
                                             .POST(HttpRequest.BodyPublishers.ofByteArray(m.value())).build();
                HttpResponse<String> resp = http.http.send(req, HttpResponse.BodyHandlers.ofString());
                if ( resp.statusCode() / 100 != 2 )
                    throw new IOException(name + ": version " + m.version() + " got " + resp.statusCode() + ": " + resp.body() + "\n" + s.logTail());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            String load = BenchStats.loadAverage();
            BenchReport.progress(String.format(Locale.ROOT, "%s: %.1f s (load %s)", name, seconds, load));
            requireQuads(s, (long)VERSIONS * QUADS);
            return new Plain(name, seconds, load);
        }
    }

    private void requireQuads(ChildServer s, long expected) throws Exception {
        long n = http.count(s);
        if ( n != expected )
            throw new IllegalStateException(s.label + " holds " + n + " quads, not the stream's " + expected + "\n" + s.logTail());
    }

    private void report(List<Replica> replicas, List<Plain> plains) {
        BenchReport r = new BenchReport();
        long quads = (long)VERSIONS * QUADS;
        r.out(String.format(Locale.ROOT, "Replicas on Kafka side by side (JDK %s, %d cores): catch-up of %d versions / %d quads already on the topic;"
                                         + " lag at %d patches/s for %d s", Runtime.version(), Runtime.getRuntime().availableProcessors(),
                            VERSIONS, quads, RATE, SECONDS));
        r.out("Catch-up (start-up = launch to first answer on an empty topic; catch-up = launch to last version visible, less start-up):");
        for ( int i = 0 ; i < replicas.size() ; i++ ) {
            Replica rep = replicas.get(i);
            Plain plain = plains.get(i);
            r.out(String.format(Locale.ROOT, "  %-52s start-up %5.1f s, launch to last %6.1f s, catch-up %6.1f s = %6.0f versions/s, %7.0f quads/s (load %s)",
                                rep.name(), rep.startUpSeconds(), rep.launchToLastSeconds(), rep.catchUpSeconds(), VERSIONS / rep.catchUpSeconds(),
                                quads / rep.catchUpSeconds(), rep.load()));
            r.out(String.format(Locale.ROOT, "  %-52s %44s %6.1f s = %6.0f versions/s, %7.0f quads/s (load %s)", plain.name(), "", plain.seconds(),
                                VERSIONS / plain.seconds(), quads / plain.seconds(), plain.load()));
            r.out(String.format(Locale.ROOT, "  %-52s %.2fx the plain server's rate", "  replica / plain of its version:", plain.seconds() / rep.catchUpSeconds()));
        }
        r.out("Lag, broker append to visible in a query on the replica (polled every " + POLL_MILLIS + " ms):");
        for ( Replica rep : replicas ) {
            long[] sorted = rep.lagMillis().clone();
            Arrays.sort(sorted);
            r.out(String.format(Locale.ROOT, "  %-52s %d versions: p50 %.0f ms, p99 %.0f ms, max %d ms (load %s)%s", rep.name(), sorted.length,
                                BenchStats.pct(sorted, 0.50), BenchStats.pct(sorted, 0.99), sorted[sorted.length - 1], rep.load(),
                                rep.windowMisses() == 0 ? "" : "; window query missed a visible version " + rep.windowMisses() + " times"));
        }
        r.printAll();
    }
}
