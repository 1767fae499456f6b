package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.fusekicdc.core.sink.PatchAssembler;
import org.fusekicdc.sink.kafka.KafkaPatchReader;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment an admin does: the official jena-fuseki-server jar, in its own JVM, with the
 * fuseki-cdc jar beside it on the classpath (as $FUSEKI_BASE/extra/ puts it) and a
 * configuration from config-examples/. Checks capture, the change feed, the status endpoint
 * and a NATS JetStream sink end to end.
 */
class ModuleJarIT {
    @TempDir
    Path work;

    private static Path serverJar() {
        return Stream.of(System.getProperty("java.class.path").split(java.io.File.pathSeparator)).map(Path::of)
                     .filter(p -> p.getFileName().toString().startsWith("jena-fuseki-server-")).findFirst()
                     .orElseThrow(() -> new AssertionError("jena-fuseki-server jar not on the test classpath"));
    }

    private static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while ( p != null && !Files.isDirectory(p.resolve("config-examples")) )
            p = p.getParent();
        return p;
    }

    @Test
    void theOfficialServerWithTheModuleJarCapturesFeedsAndPublishes() throws Exception {
        Path moduleJar = Path.of(System.getProperty("fusekicdc.moduleJar"));
        assertTrue(Files.exists(moduleJar), "module jar " + moduleJar + " was not built");
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.copy(moduleJar, extra.resolve("fuseki-cdc.jar"));

        String natsUrl = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-dist." + id;
        String stream = "FUSEKI_CDC_DIST_" + id.toUpperCase();
        String topic = "fuseki-cdc-dist-" + id;
        try (TestBroker kafka = TestBroker.obtain()) {
            String ttl = Files.readString(repoRoot().resolve("config-examples/nats.ttl"), StandardCharsets.UTF_8)
                              .replace("\"run/", "\"" + work.resolve("run") + "/")
                              .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                       "cdc:url \"" + natsUrl + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"")
                              .replace("cdc:logDirectory \"", "cdc:sink [ a cdc:KafkaSink ; cdc:bootstrapServers \"" + kafka.bootstrapServers()
                                       + "\" ; cdc:topic \"" + topic + "\" ] ;\n    cdc:logDirectory \"");
            runServer(moduleJar, extra, ttl, natsUrl, subject, stream, kafka, topic);
        }
    }

    private void runServer(Path moduleJar, Path extra, String ttl, String natsUrl, String subject, String stream, TestBroker kafka, String topic)
            throws Exception {
        Path config = work.resolve("config.ttl");
        Files.writeString(config, ttl);

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = List.of(javaBin, "-Xmx512m", "-cp", serverJar() + java.io.File.pathSeparator + extra.resolve("*"),
                                   "org.apache.jena.fuseki.main.cmds.FusekiServerCmd", "--port=" + port, "--config=" + config);
        Process fuseki = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                                                .redirectOutput(work.resolve("fuseki.log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        String base = "http://localhost:" + port;
        try (Connection nats = Nats.connect(natsUrl)) {
            try {
                awaitUp(http, base, fuseki);
                for ( int i = 1 ; i <= 3 ; i++ ) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/ds/update"))
                                                                  .header("Content-Type", "application/sparql-update")
                                                                  .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/s> <http://example/p> " + i + " }"))
                                                                  .build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(204, r.statusCode(), r.body());
                }
                String feed = http.send(HttpRequest.newBuilder(URI.create(base + "/ds/changes?after=0")).build(),
                                        HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(feed.contains("H version 3 ."), feed);

                List<Long> versions = new ArrayList<>();
                try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                    while ( versions.size() < 3 ) {
                        Optional<PatchAssembler.Patch> p = reader.next(Duration.ofSeconds(30));
                        if ( p.isEmpty() )
                            throw new AssertionError("NATS received only " + versions + "\n" + Files.readString(work.resolve("fuseki.log")));
                        versions.add(p.get().version());
                    }
                }
                assertEquals(List.of(1L, 2L, 3L), versions);
                List<Long> kafkaVersions = new ArrayList<>();
                try (KafkaPatchReader reader = new KafkaPatchReader(kafka.clientProperties(), topic, "ds", 0, work.resolve("tmp-kafka"))) {
                    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                    while ( kafkaVersions.size() < 3 && System.nanoTime() < deadline )
                        reader.poll(Duration.ofSeconds(1)).forEach(p -> kafkaVersions.add(p.version()));
                }
                assertEquals(List.of(1L, 2L, 3L), kafkaVersions, "the Kafka topic holds each version once, in order");
                String status = http.send(HttpRequest.newBuilder(URI.create(base + "/$/cdc")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(status.contains("\"headVersion\" : 3"), status);
                assertTrue(status.contains("\"name\" : \"nats\""), status);
                assertTrue(status.contains("\"name\" : \"kafka\""), status);
            } finally {
                fuseki.destroy();
                fuseki.waitFor();
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
        String log = Files.readString(work.resolve("fuseki.log"));
        assertTrue(log.contains("capture on"), "the module announced itself:\n" + log);
    }

    private static void awaitUp(HttpClient http, String base, Process fuseki) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ( System.nanoTime() < deadline ) {
            if ( !fuseki.isAlive() )
                throw new AssertionError("Fuseki exited at start-up with code " + fuseki.exitValue());
            try {
                if ( http.send(HttpRequest.newBuilder(URI.create(base + "/$/ping")).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200 )
                    return;
            } catch (IOException notYet) {
                fuseki.waitFor(200, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        throw new AssertionError("Fuseki did not start within 60 s");
    }
}
