package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The servers of one test, each the official jena-fuseki-server jar with the fuseki-cdc jar in its
 * own JVM, in a directory of its own below a work directory made for the test, and what a test
 * asks them over HTTP (dataset {@code ds}): status, head version, a dump, an update. After the
 * test, every server still running is killed and the work directory deleted.
 *
 * <pre>
 * &#64;RegisterExtension
 * final FusekiNodes nodes = new FusekiNodes();
 * </pre>
 */
final class FusekiNodes implements BeforeEachCallback, AfterEachCallback {
    private final List<FusekiJvm> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Path work;
    private Path extra;

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        work = Files.createTempDirectory("fuseki-nodes-");
    }

    /** SIGKILL every server still running, then delete the work directory. */
    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        for ( FusekiJvm p : processes )
            p.kill();
        processes.clear();
        extra = null;
        try (Stream<Path> files = Files.walk(work)) {
            for ( Path f : files.sorted(Comparator.reverseOrder()).toList() )
                Files.deleteIfExists(f);
        }
    }

    /** The directory of the server {@code name}: its configuration, database, change log and logs. */
    Path dir(String name) {
        return work.resolve(name);
    }

    /** A server (not started) with its configuration file written in its own directory. */
    FusekiJvm node(String name, String config) throws IOException {
        Path dir = Files.createDirectories(dir(name));
        Files.writeString(dir.resolve("config.ttl"), config);
        FusekiJvm node = new FusekiJvm(name, dir, extra(), dir.resolve("config.ttl"), "384m");
        processes.add(node);
        return node;
    }

    /** The directory of the jars every server has on its classpath: the fuseki-cdc jar. */
    private Path extra() throws IOException {
        if ( extra == null ) {
            extra = Files.createDirectories(work.resolve("extra"));
            Files.copy(FusekiJvm.moduleJar(), extra.resolve("fuseki-cdc.jar"));
        }
        return extra;
    }

    HttpResponse<String> update(FusekiJvm server, String update) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.base + "/ds/update")).timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/sparql-update").POST(HttpRequest.BodyPublishers.ofString(update)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(FusekiJvm server, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.base + path)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    /** The status of the server's one dataset. */
    JsonObject status(FusekiJvm node) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(node.base + "/$/cdc")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return JSON.parse(body).get("datasets").getAsArray().get(0).getAsObject();
    }

    long head(FusekiJvm node) throws Exception {
        return status(node).get("headVersion").getAsNumber().value().longValue();
    }

    /**
     * Waits until the follower has applied {@code version} or later with no lag, failing at once if
     * it halts; returns the version it applied.
     */
    long awaitCaughtUp(FusekiJvm follower, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonObject f = null;
        while ( System.nanoTime() < deadline ) {
            f = status(follower).get("follower").getAsObject();
            long applied = f.get("appliedVersion").getAsNumber().value().longValue();
            if ( applied >= version && f.get("lagVersions").getAsNumber().value().longValue() == 0 )
                return applied;
            assertTrue(!"halted".equals(f.get("state").getAsString().value()), follower.name + " halted: " + f);
            // The follower is another JVM: its status over HTTP is all there is to watch, so it is polled.
            Thread.sleep(100);
        }
        throw new AssertionError(follower.name + " did not reach version " + version + ": " + f);
    }

    DatasetGraph dump(FusekiJvm node) throws Exception {
        String nquads = http.send(HttpRequest.newBuilder(URI.create(node.base + "/ds/data")).header("Accept", "application/n-quads").build(),
                                  HttpResponse.BodyHandlers.ofString()).body();
        DatasetGraph dsg = DatasetGraphFactory.create();
        RDFParser.fromString(nquads, Lang.NQUADS).parse(dsg);
        return dsg;
    }
}
