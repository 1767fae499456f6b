package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.fusekicdc.sink.kinesis.KinesisTestAccess;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kinesis sink as an admin deploys it: the official jena-fuseki-server jar in its own JVM,
 * the fuseki-cdc jar and the Kinesis sink's -all jar beside it, config-examples/kinesis.ttl
 * pointed at a local Kinesis implementation (kinesis-local). Writes over HTTP reach the stream
 * in order, and the status endpoint shows the sink as it shows the others. Skipped without
 * Node.js (failed under CI=true).
 */
class KinesisJarIT {
    @TempDir
    Path work;

    @Test
    void theOfficialServerWithTheKinesisJarPutsEachPatchOnTheStream() throws Exception {
        Path moduleJar = FusekiJvm.moduleJar();
        Path kinesisJar = Path.of(System.getProperty("fusekicdc.sinkKinesisJar"));
        assertTrue(Files.exists(moduleJar) && Files.exists(kinesisJar), "jars not built: " + moduleJar + ", " + kinesisJar);
        assertTrue(Files.size(kinesisJar) < 12L * 1024 * 1024, "the Kinesis jar stays small (no Netty): " + Files.size(kinesisJar) + " bytes");
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.copy(moduleJar, extra.resolve("fuseki-cdc.jar"));
        Files.copy(kinesisJar, extra.resolve("fuseki-cdc-sink-kinesis.jar"));
        try (KinesisTestAccess kinesis = KinesisTestAccess.start(work.resolve("kinesis-data"))) {
            String stream = "fuseki-cdc-dist-" + Long.toString(System.nanoTime(), 36);
            String ttl = Files.readString(FusekiJvm.repoRoot().resolve("config-examples/kinesis.ttl"))
                              .replace("\"run/", "\"" + work.toAbsolutePath() + "/")
                              .replace("cdc:region \"eu-west-1\" ;", "cdc:region \"us-east-1\" ; cdc:endpoint \"" + kinesis.endpoint() + "\" ;")
                              .replace("cdc:streamName \"fuseki-cdc-ds\" ;", "cdc:streamName \"" + stream + "\" ;");
            assertTrue(ttl.contains(kinesis.endpoint()) && ttl.contains(stream), "the example was pointed at the local service:\n" + ttl);
            Path config = work.resolve("config.ttl");
            Files.writeString(config, ttl);
            FusekiJvm fuseki = new FusekiJvm("fuseki", work, extra, config, "512m");
            HttpClient http = HttpClient.newHttpClient();
            try {
                fuseki.start();
                for ( int i = 1 ; i <= 3 ; i++ ) {
                    String update = "INSERT DATA { <http://example/s" + i + "> <http://example/p> " + i + " }";
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(fuseki.base + "/ds/update"))
                                                                  .header("Content-Type", "application/sparql-update")
                                                                  .POST(HttpRequest.BodyPublishers.ofString(update)).build(),
                                                       HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, r.statusCode() / 100 * 100, r.body());
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                List<Long> versions = List.of();
                while ( !versions.equals(List.of(1L, 2L, 3L)) ) {
                    if ( !fuseki.isAlive() )
                        fail("Fuseki exited:\n" + Files.readString(fuseki.log()));
                    if ( System.nanoTime() > deadline )
                        fail("The stream holds versions " + versions + ", not 1, 2, 3\n" + Files.readString(fuseki.log()));
                    versions = kinesis.versions(stream, "ds");
                    Thread.sleep(300);
                }
                String status = http.send(HttpRequest.newBuilder(URI.create(fuseki.base + "/$/cdc")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(status.contains("\"kinesis\""), "the sink is in the status: " + status);
                assertTrue(status.contains("\"state\" : \"running\""), status);
                String metrics = http.send(HttpRequest.newBuilder(URI.create(fuseki.base + "/$/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertTrue(metrics.contains("sink=\"kinesis\""), "the sink has metrics like the others");
            } catch (IOException ex) {
                fail("Fuseki: " + ex + "\n" + Files.readString(fuseki.log()));
            } finally {
                fuseki.stop();
            }
        }
    }
}
