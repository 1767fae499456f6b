package org.fusekicdc.sink.pulsar;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import org.apache.pulsar.client.api.Message;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.PulsarClient;
import org.apache.pulsar.client.api.Reader;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.contract.SinkContract.Delivered;
import org.fusekicdc.core.wire.PatchMessages;

/**
 * Test support: a real standalone Pulsar broker (BookKeeper and RocksDB metadata in one
 * process, {@code org.apache.pulsar.PulsarStandaloneStarter}) in a child JVM on this test
 * classpath, on free loopback ports, with deduplication on and token authentication that
 * also lets anonymous clients in (so that a wrong token is refused while the other tests need
 * none); and reading a topic with the plain client.
 */
final class PulsarTesting {
    private PulsarTesting() {}

    /** A name no other test run uses. */
    static String unique(String prefix) {
        return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    }

    /** A random HS256 key, base64, as the broker's tokenSecretKey takes it. */
    static String secretKey() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return Base64.getEncoder().encodeToString(key);
    }

    /** A JWT for {@code subject} signed with {@code secretKey} (HS256), as pulsar-admin tokens create makes. */
    static String token(String secretKey, String subject) throws Exception {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String head = b64.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
        String body = b64.encodeToString(("{\"sub\":\"" + subject + "\"}").getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secretKey), "HmacSHA256"));
        return head + "." + body + "." + b64.encodeToString(mac.doFinal((head + "." + body).getBytes(StandardCharsets.US_ASCII)));
    }

    static OptionValues options(String sinkName, Map<String, String> values) {
        return new OptionValues(sinkName, values);
    }

    private static PrivateBroker shared;

    /**
     * The broker every test class of this JVM shares: started on first use (and again if a test
     * left it stopped), stopped and its directory deleted when the JVM exits. A child JVM's start
     * takes tens of seconds, once per class before.
     */
    static synchronized PrivateBroker sharedBroker() throws IOException, InterruptedException {
        if ( shared == null ) {
            Path dir = Files.createTempDirectory("fuseki-cdc-pulsar-broker-");
            PrivateBroker broker = new PrivateBroker(dir, secretKey());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                broker.close();
                deleteQuietly(dir);
            }, "pulsar-broker-stop"));
            shared = broker;
        }
        if ( !shared.running() )
            shared.start();
        return shared;
    }

    /** A leftover temporary directory only costs disk space. */
    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ex) {
            // Left for the system's temporary-file cleaning.
        }
    }

    /** A standalone broker of the test's own, stopped (SIGTERM) and started again on the same ports and data. */
    static final class PrivateBroker implements AutoCloseable {
        private static final Duration START_TIMEOUT = Duration.ofSeconds(240);
        private final Path dir;
        private final int brokerPort, webPort, bookiePort, zkPort;
        private final String secretKey;
        private Process process;

        /** @param secretKey base64 HS256 key the broker checks tokens with */
        PrivateBroker(Path dir, String secretKey) throws IOException {
            this.dir = dir;
            this.secretKey = secretKey;
            this.brokerPort = TestSupport.freePort();
            this.webPort = TestSupport.freePort();
            this.bookiePort = TestSupport.freePort();
            this.zkPort = TestSupport.freePort();
            Files.createDirectories(dir);
        }

        String serviceUrl() {
            return "pulsar://127.0.0.1:" + brokerPort;
        }

        String webUrl() {
            return "http://127.0.0.1:" + webPort;
        }

        private Path conf() throws IOException {
            Path conf = dir.resolve("standalone.conf");
            String metadata = "rocksdb://" + dir.resolve("metadata").toAbsolutePath();
            Files.writeString(conf, String.join("\n",
                "clusterName=standalone",
                "advertisedAddress=127.0.0.1",
                "bindAddress=127.0.0.1",
                "brokerServicePort=" + brokerPort,
                "webServicePort=" + webPort,
                "metadataStoreUrl=" + metadata,
                "configurationMetadataStoreUrl=" + metadata,
                "brokerDeduplicationEnabled=true",
                // Keep every message: readers here are non-durable, and without retention the broker
                // drops a ledger no subscription holds when it rolls over (at a restart, say).
                "defaultRetentionTimeInMinutes=-1",
                "defaultRetentionSizeInMB=-1",
                "managedLedgerDefaultEnsembleSize=1",
                "managedLedgerDefaultWriteQuorum=1",
                "managedLedgerDefaultAckQuorum=1",
                "allowAutoTopicCreation=true",
                "allowAutoTopicCreationType=non-partitioned",
                "functionsWorkerEnabled=false",
                "loadBalancerEnabled=false",
                "authenticationEnabled=true",
                "authenticationProviders=org.apache.pulsar.broker.authentication.AuthenticationProviderToken",
                "tokenSecretKey=data:;base64," + secretKey,
                "anonymousUserRole=anonymous",
                "authorizationEnabled=false",
                "dbStorage_writeCacheMaxSizeMb=16",
                "dbStorage_readAheadCacheMaxSizeMb=16",
                "dbStorage_rocksDB_blockCacheSize=8388608",
                "journalSyncData=false",
                // Hand new entries to caught-up readers at once (the default looks every 10 ms; docs/sinks.md, "Latency").
                "managedLedgerNewEntriesCheckDelayInMillis=0",
                "journalMaxGroupWaitMSec=0",
                "journalFlushWhenQueueEmpty=true",
                ""));
            return conf;
        }

        /** Start the broker and wait until it serves public/default; fails the test, with its log, if it exits. */
        void start() throws IOException, InterruptedException {
            Path log = dir.resolve("broker.log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:MaxDirectMemorySize=512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dlog4j2.configurationFile=" + writeLogConfig(),
                "-cp", System.getProperty("java.class.path"),
                BrokerMain.class.getName(), "--config", conf().toString(), "--no-stream-storage", "--no-functions-worker",
                "--zookeeper-port", Integer.toString(zkPort), "--bookkeeper-port", Integer.toString(bookiePort),
                "--bookkeeper-dir", dir.resolve("bookkeeper").toString()));
            // Our standard input stays open: the child halts when this JVM goes (BrokerMain).
            process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                                             .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            while ( true ) {
                if ( !process.isAlive() )
                    fail("Pulsar broker exited with " + process.exitValue() + "; see " + log + ":\n" + tail(log));
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(webUrl() + "/admin/v2/namespaces/public"))
                                                                  .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if ( r.statusCode() == 200 && r.body().contains("public/default") )
                        return;
                } catch (IOException notYet) {
                    // Not listening yet.
                }
                if ( System.nanoTime() > deadline ) {
                    stop();
                    fail("Pulsar broker not ready within " + START_TIMEOUT.toSeconds() + " s; see " + log + ":\n" + tail(log));
                }
                Thread.sleep(250);
            }
        }

        private Path writeLogConfig() throws IOException {
            Path f = dir.resolve("log4j2-broker.properties");
            Files.writeString(f, String.join("\n",
                "status = error",
                "appender.console.type = Console",
                "appender.console.name = STDOUT",
                "appender.console.layout.type = PatternLayout",
                "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %-5p %c{1} :: %m%n",
                "rootLogger.level = warn",
                "rootLogger.appenderRef.stdout.ref = STDOUT",
                "logger.ready.name = org.apache.pulsar.broker.PulsarService",
                "logger.ready.level = info",
                ""));
            return f;
        }

        private static String tail(Path log) throws IOException {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        }

        boolean running() {
            return process != null && process.isAlive();
        }

        /** Stop the broker (SIGTERM, then SIGKILL after 60 s) and wait for it to exit. */
        void stop() throws InterruptedException {
            if ( process == null )
                return;
            process.destroy();
            if ( !process.waitFor(60, TimeUnit.SECONDS) ) {
                process.destroyForcibly();
                process.waitFor();
            }
            process = null;
        }

        /** Set the topic's max-message-size policy and wait until the broker applies it. */
        void topicMaxMessageSize(String topic, int bytes) throws Exception {
            HttpClient http = HttpClient.newHttpClient();
            String path = webUrl() + "/admin/v2/" + topic.replace("://", "/") + "/maxMessageSize";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(path)).header("Content-Type", "application/json")
                                                          .POST(HttpRequest.BodyPublishers.ofString(Integer.toString(bytes))).build(),
                                               HttpResponse.BodyHandlers.ofString());
            if ( r.statusCode() / 100 != 2 )
                fail("setting maxMessageSize of " + topic + ": HTTP " + r.statusCode() + " " + r.body());
            TestSupport.await("topic policy maxMessageSize applied", Duration.ofSeconds(60), () -> {
                try {
                    HttpResponse<String> g = http.send(HttpRequest.newBuilder(URI.create(path + "?applied=true")).build(), HttpResponse.BodyHandlers.ofString());
                    return g.statusCode() == 200 && g.body().trim().equals(Integer.toString(bytes));
                } catch (Exception ex) {
                    return false;
                }
            });
        }

        @Override
        public void close() {
            try {
                stop();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** One message as stored: its properties, body, and the sequence id the producer gave it. */
    record Stored(Map<String, String> properties, byte[] data, String key, String producerName, long sequenceId) {
        long version() {
            return Long.parseLong(properties.get(PatchMessages.VERSION));
        }
    }

    /** Every message of the topic, in order. */
    static List<Stored> readTopic(String serviceUrl, String topic) throws Exception {
        List<Stored> out = new ArrayList<>();
        try (PulsarClient client = PulsarClient.builder().serviceUrl(serviceUrl).build();
             Reader<byte[]> reader = client.newReader().topic(topic).startMessageId(MessageId.earliest).create()) {
            while ( reader.hasMessageAvailable() ) {
                Message<byte[]> m = reader.readNext(30, TimeUnit.SECONDS);
                if ( m == null )
                    fail("topic " + topic + " has a message available that did not arrive within 30 s");
                out.add(new Stored(new HashMap<>(m.getProperties()), m.getData(), m.getKey(), m.getProducerName(), m.getSequenceId()));
            }
        }
        return out;
    }

    /** The topic's patches, parts put back together (a part sequence that starts over restarts the patch). */
    static List<Delivered> readPatches(String serviceUrl, String topic) throws Exception {
        List<Delivered> out = new ArrayList<>();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int next = 0;
        for ( Stored m : readTopic(serviceUrl, topic) ) {
            String contentType = m.properties().get(PatchMessages.CONTENT_TYPE);
            int parts = Integer.parseInt(m.properties().getOrDefault(PatchMessages.PARTS, "1"));
            if ( parts == 1 ) {
                out.add(new Delivered(m.version(), TestSupport.parsePatch(contentType, m.data())));
                continue;
            }
            int part = Integer.parseInt(m.properties().get(PatchMessages.PART));
            if ( part == 0 ) {
                body.reset();
                next = 0;
            }
            if ( part != next )
                continue;
            body.writeBytes(m.data());
            next++;
            if ( next == parts )
                out.add(new Delivered(m.version(), TestSupport.parsePatch(contentType, body.toByteArray())));
        }
        return out;
    }
}
