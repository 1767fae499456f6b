package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.sink.kafka.KafkaPatchReader;
import org.fusekicdc.sink.kafka.TestBroker;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment an admin does: the official jena-fuseki-server jar, in its own JVM, with the
 * fuseki-cdc jar beside it on the classpath (as $FUSEKI_BASE/extra/ puts it) and a
 * configuration from config-examples/. Checks capture, the change feed, the status endpoint,
 * a NATS JetStream sink end to end, and live queries over WebSocket (Jetty's WebSocket
 * implementation, relocated inside our jar, running on the server jar's Jetty).
 */
class ModuleJarIT {
    @TempDir
    Path work;

    @Test
    void theOfficialServerWithTheModuleJarCapturesFeedsAndPublishes() throws Exception {
        Path moduleJar = FusekiJvm.moduleJar();
        assertTrue(Files.exists(moduleJar), "module jar " + moduleJar + " was not built");
        try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(moduleJar.toFile())) {
            assertTrue(jar.stream().noneMatch(e -> e.getName().startsWith("org/eclipse/jetty/")), "the module jar ships no Jetty classes");
        }
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.copy(moduleJar, extra.resolve("fuseki-cdc.jar"));

        String natsUrl = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-dist." + id;
        String stream = "FUSEKI_CDC_DIST_" + id.toUpperCase();
        String topic = "fuseki-cdc-dist-" + id;
        try (TestBroker kafka = TestBroker.obtain()) {
            String ttl = Files.readString(FusekiJvm.repoRoot().resolve("config-examples/nats.ttl"), StandardCharsets.UTF_8)
                              .replace("\"run/", "\"" + work.resolve("run") + "/")
                              .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                       "cdc:url \"" + natsUrl + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"")
                              .replace("cdc:logDirectory \"", "cdc:sink [ a cdc:KafkaSink ; cdc:bootstrapServers \"" + kafka.bootstrapServers()
                                       + "\" ; cdc:topic \"" + topic + "\" ] ;\n    cdc:logDirectory \"")
                              .replace("fuseki:endpoint [ fuseki:operation cdc:changes ;",
                                       "fuseki:endpoint [ fuseki:operation cdc:live ; fuseki:name \"live\" ] ;\n    fuseki:endpoint [ fuseki:operation cdc:changes ;");
            runServer(moduleJar, extra, ttl, natsUrl, subject, stream, kafka, topic);
        }
    }

    private void runServer(Path moduleJar, Path extra, String ttl, String natsUrl, String subject, String stream, TestBroker kafka, String topic)
            throws Exception {
        Path config = work.resolve("config.ttl");
        Files.writeString(config, ttl);

        FusekiJvm fuseki = new FusekiJvm("fuseki", work, extra, config, "512m");
        HttpClient http = HttpClient.newHttpClient();
        String base = fuseki.base;
        try (Connection nats = Nats.connect(natsUrl)) {
            try {
                fuseki.start();
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
                        Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(30));
                        if ( p.isEmpty() )
                            throw new AssertionError("NATS received only " + versions + "\n" + Files.readString(fuseki.log()));
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
                liveOverWebSocket(http, base);
            } finally {
                fuseki.stop();
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
        String log = Files.readString(fuseki.log());
        assertTrue(log.contains("capture on"), "the module announced itself:\n" + log);
    }

    /** A WebSocket subscription gets the answer at version 3, then the change a fourth update makes. */
    private static void liveOverWebSocket(HttpClient http, String base) throws Exception {
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(base.replace("http:", "ws:") + "/ds/live"), new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
                text.append(data);
                if ( last ) {
                    messages.add(text.toString());
                    text.setLength(0);
                }
                socket.request(1);
                return null;
            }
        }).get(30, TimeUnit.SECONDS);
        try {
            ws.sendText("{\"subscribe\": {\"sparql\": \"SELECT ?o { <http://example/s> <http://example/p> ?o }\", \"alias\": \"o\"}}", true).join();
            JsonObject initial = JSON.parse(next(messages)).get("notification").getAsObject();
            assertEquals(3, initial.get("version").getAsNumber().value().intValue());
            assertEquals(3, initial.get("addedResults").getAsObject().get("results").getAsObject().get("bindings").getAsArray().size());
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/ds/update"))
                                                          .header("Content-Type", "application/sparql-update")
                                                          .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/s> <http://example/p> 4 }"))
                                                          .build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, r.statusCode(), r.body());
            JsonObject update = JSON.parse(next(messages)).get("notification").getAsObject();
            assertEquals(4, update.get("version").getAsNumber().value().intValue());
            assertEquals("4", update.get("addedResults").getAsObject().get("results").getAsObject().get("bindings").getAsArray().get(0)
                                    .getAsObject().get("o").getAsObject().get("value").getAsString().value());
        } finally {
            ws.sendClose(WebSocket.NORMAL_CLOSURE, "").exceptionally(t -> null);
        }
    }

    private static String next(BlockingQueue<String> messages) throws InterruptedException {
        String m = messages.poll(30, TimeUnit.SECONDS);
        if ( m == null )
            throw new AssertionError("no WebSocket message within 30 s");
        return m;
    }

}
