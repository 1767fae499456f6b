package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Read-your-writes through a round-robin of a leader and two followers over NATS JetStream:
 * every write names its version in X-CDC-Version, and every read asking for that version
 * (X-CDC-Min-Version or minVersion=N) sees the write, whichever server answers; past the bound a
 * read gets 503 with the version the server has. The readiness check answers 200 or 503 by lag.
 * Needs a NATS server with JetStream (NATS_URL, else 127.0.0.1:4222); .ci/run starts one.
 */
class ReadYourWritesIT {
    private static final String NATS_URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");

    @TempDir
    Path work;

    private String subject;
    private String stream;
    private Connection nats;

    @BeforeEach
    void natsSubject() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        subject = "fuseki-cdc-test.ryw." + id;
        stream = "FUSEKI_CDC_RYW_" + id.toUpperCase();
        nats = Nats.connect(NATS_URL);
    }

    @AfterEach
    void dropStream() throws Exception {
        try {
            nats.jetStreamManagement().deleteStream(stream);
        } catch (Exception ex) {
            // The test may have failed before the leader created it.
        }
        nats.close();
    }

    private String leaderConfig() {
        return CdcFuseki.exampleConfig("nats.ttl", work.resolve("leader"))
                        .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                 "cdc:url \"" + NATS_URL + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"");
    }

    private String followerConfig(Path dir) {
        return """
            PREFIX :       <#>
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            :service a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] ;
                fuseki:endpoint [ fuseki:operation fuseki:gsp-r ; fuseki:name "get" ] ;
                fuseki:endpoint [ fuseki:operation cdc:changes ; fuseki:name "changes" ] ;
                fuseki:endpoint [ fuseki:operation cdc:live ; fuseki:name "live" ] ;
                fuseki:dataset :dataset .
            :dataset a cdc:CapturedDataset ;
                cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location "%s/db" ] ;
                cdc:logDirectory "%s/changes" ;
                cdc:minVersionWaitMillis 30000 ;
                cdc:follow [ a cdc:JetStreamSubject ; cdc:url "%s" ; cdc:subject "%s" ; cdc:stream "%s" ;
                             cdc:leaderUrl "http://leader.example/ds" ; cdc:retryInitialMillis 50 ; cdc:retryMaxMillis 500 ] .
            """.formatted(dir, dir, NATS_URL, subject, stream);
    }

    private static long version(HttpResponse<String> r) {
        return Long.parseLong(r.headers().firstValue("X-CDC-Version").orElseThrow(() -> new AssertionError("no X-CDC-Version: " + r)));
    }

    private static HttpResponse<String> ask(CdcFuseki f, String ask, String minVersionHeader, String queryString) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url("/ds?query=" + URLEncoder.encode(ask, StandardCharsets.UTF_8) + queryString)))
                                           .header("Accept", "application/sparql-results+json");
        if ( minVersionHeader != null )
            b.header("X-CDC-Min-Version", minVersionHeader);
        return f.send(b);
    }

    private static HttpResponse<String> get(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))));
    }

    /** The data of the first {@code initial} event of a live query subscription asking for {@code minVersion}. */
    private static String initialEvent(CdcFuseki f, String query, long minVersion) throws Exception {
        URI uri = URI.create(f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + "&minVersion=" + minVersion));
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<java.util.stream.Stream<String>> r = http.send(HttpRequest.newBuilder(uri).header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60)).build(),
                                                                        HttpResponse.BodyHandlers.ofLines());
            assertEquals(200, r.statusCode());
            try (var lines = r.body()) {
                boolean inInitial = false;
                for ( String line : (Iterable<String>)lines::iterator ) {
                    if ( line.equals("event: initial") || line.equals("event:initial") )
                        inInitial = true;
                    else if ( inInitial && line.startsWith("data:") )
                        return line;
                }
            }
        }
        throw new AssertionError("no initial event");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting until " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void everyReadThatAsksForTheWritesVersionSeesItOnAnyServer() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki f1 = CdcFuseki.start(work.resolve("f1"), followerConfig(work.resolve("f1")), b -> {});
             CdcFuseki f2 = CdcFuseki.start(work.resolve("f2"), followerConfig(work.resolve("f2")), b -> {})) {
            List<CdcFuseki> servers = List.of(f1, leader, f2);
            long last = 0;
            for ( int i = 1 ; i <= 200 ; i++ ) {
                HttpResponse<String> w = leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s" + i + " ex:p " + i + " }");
                assertEquals(204, w.statusCode(), w.body());
                long v = version(w);
                assertEquals(last + 1, v, "write " + i + " names the version it committed");
                last = v;
                CdcFuseki reader = servers.get(i % servers.size());
                // Alternate the header and the parameter.
                HttpResponse<String> r = i % 2 == 0 ? ask(reader, "ASK { <http://ex/s" + i + "> ?p ?o }", Long.toString(v), "")
                                                    : ask(reader, "ASK { <http://ex/s" + i + "> ?p ?o }", null, "&minVersion=" + v);
                assertEquals(200, r.statusCode(), r.body());
                assertTrue(r.body().contains("true"), "read " + i + " of version " + v + " on server " + (i % servers.size()) + " sees the write: " + r.body());
            }
            // Graph Store Protocol: the write names its version, a GSP read and a change feed page asking for it see it.
            HttpResponse<String> put = leader.put("/ds/data?graph=" + URLEncoder.encode("http://ex/g", StandardCharsets.UTF_8), "text/turtle",
                                                  "<http://ex/a> <http://ex/b> \"gsp\" .");
            assertTrue(put.statusCode() / 100 == 2, put.toString());
            long gspVersion = version(put);
            assertEquals(last + 1, gspVersion);
            HttpResponse<String> graph = f1.send(HttpRequest.newBuilder(URI.create(f1.url("/ds/get?graph=" + URLEncoder.encode("http://ex/g", StandardCharsets.UTF_8))))
                                                 .header("X-CDC-Min-Version", Long.toString(gspVersion)).header("Accept", "application/n-triples"));
            assertEquals(200, graph.statusCode(), graph.body());
            assertTrue(graph.body().contains("\"gsp\""), graph.body());
            HttpResponse<String> feed = f2.send(HttpRequest.newBuilder(URI.create(f2.url("/ds/changes?after=" + (gspVersion - 1) + "&minVersion=" + gspVersion))));
            assertEquals(200, feed.statusCode(), feed.body());
            assertTrue(feed.body().contains("\"gsp\""), "the change feed asking for the version holds it: " + feed.body());

            // A live query subscription asking for the version starts from it.
            String initial = initialEvent(f2, "ASK { GRAPH <http://ex/g> { <http://ex/a> <http://ex/b> \"gsp\" } }", gspVersion);
            assertTrue(initial.contains("\"boolean\":true") || initial.contains("\"boolean\" : true"), "the subscription's first answer sees the write: " + initial);

            // A write that changes nothing names the current version.
            HttpResponse<String> none = leader.update("ds", "PREFIX ex: <http://ex/> DELETE DATA { ex:nothing ex:p 0 }");
            assertEquals(204, none.statusCode());
            assertEquals(gspVersion, version(none));
        }
    }

    @Test
    void aReadForAVersionNotHereInTimeGets503AndReadinessFollowsTheLag() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki f1 = CdcFuseki.start(work.resolve("f1"), followerConfig(work.resolve("f1")), b -> {})) {
            long v = 0;
            for ( int i = 1 ; i <= 3 ; i++ )
                v = version(leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s" + i + " ex:p " + i + " }"));
            long head = v;
            await("the follower is ready", () -> get(f1, "/$/cdc/ds/ready").statusCode() == 200);
            HttpResponse<String> leaderReady = get(leader, "/$/cdc/ds/ready");
            assertEquals(200, leaderReady.statusCode(), leaderReady.body());
            assertTrue(leaderReady.body().contains("\"role\":\"leader\""), leaderReady.body());

            // Past the bound the request asked for: 503 naming the version here and the lag, with Retry-After.
            long t0 = System.nanoTime();
            HttpResponse<String> late = ask(f1, "ASK { ?s ?p ?o }", Long.toString(head + 1000), "&maxWait=300");
            assertEquals(503, late.statusCode(), late.body());
            assertTrue(System.nanoTime() - t0 >= Duration.ofMillis(300).toNanos(), "it waited the bound first");
            assertTrue(late.headers().firstValue("Retry-After").isPresent());
            assertEquals(head, version(late));
            assertTrue(late.body().contains("\"version\":" + head) && late.body().contains("\"minVersion\":" + (head + 1000))
                       && late.body().contains("\"lagVersions\":1000"), late.body());
            assertEquals(400, ask(f1, "ASK { ?s ?p ?o }", "soon", "").statusCode(), "a version that is not a number is refused");

            // A follower that stopped following is not ready; the leader still is.
            f1.runtime("ds").follower().orElseThrow().close();
            leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:late ex:p 1 }");
            HttpResponse<String> stopped = get(f1, "/$/cdc/ds/ready");
            assertEquals(503, stopped.statusCode(), stopped.body());
            assertTrue(stopped.body().contains("\"state\":\"STOPPED\"") && stopped.headers().firstValue("Retry-After").isPresent(), stopped.body());
            assertEquals(200, get(leader, "/$/cdc/ds/ready").statusCode());
        }
    }
}
