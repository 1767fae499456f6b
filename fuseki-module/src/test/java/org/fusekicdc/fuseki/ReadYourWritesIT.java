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
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;

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
    @TempDir
    Path work;

    private JetStreamFollowing following;

    @BeforeEach
    void natsSubject() throws Exception {
        following = new JetStreamFollowing("ryw");
    }

    @AfterEach
    void dropStream() throws Exception {
        following.close();
    }

    /** The example leader, with the upload and RDF Patch endpoints as well. */
    private String leaderConfig() {
        String update = "fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name \"update\" ] ;";
        String config = following.leaderConfig(work.resolve("leader"));
        assertTrue(config.contains(update), config);
        return config.replace(update, update + " fuseki:endpoint [ fuseki:operation fuseki:upload ; fuseki:name \"upload\" ] ;"
                                      + " fuseki:endpoint [ fuseki:operation fuseki:patch ; fuseki:name \"patch\" ] ;");
    }

    private String followerConfig(Path dir) {
        return followerConfig(dir, "");
    }

    private String followerConfig(Path dir, String datasetOptions) {
        return following.followerConfig(dir, "fuseki:endpoint [ fuseki:operation fuseki:gsp-r ; fuseki:name \"get\" ] ;",
                                        "cdc:minVersionWaitMillis 30000 ; " + datasetOptions, "");
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

    /** A number member of a compact JSON body. */
    private static long field(String body, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\\d+)").matcher(body);
        assertTrue(m.find(), name + " in " + body);
        return Long.parseLong(m.group(1));
    }

    /** A multipart/form-data body holding one Turtle file, as an HTML form sends it. */
    private static String form(String boundary, String turtle) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"data.ttl\"\r\nContent-Type: text/turtle\r\n\r\n" + turtle
               + "\n\r\n--" + boundary + "--\r\n";
    }

    private static long num(JsonObject o, String key) {
        return o.get(key).getAsNumber().value().longValue();
    }

    private static boolean askTrue(HttpResponse<String> r) {
        return r.statusCode() == 200 && r.body().replace(" ", "").contains("\"boolean\":true");
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
            // How far from what was asked, and from the leader (which has no version past the head either).
            assertTrue(late.body().contains("\"version\":" + head) && late.body().contains("\"minVersion\":" + (head + 1000))
                       && late.body().contains("\"behindAsked\":1000") && late.body().contains("\"lagVersions\":0")
                       && late.body().contains("\"leaderVersion\":" + head), late.body());
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

    @Test
    void uploadsAndPatchesNameTheirVersionAndReadsAndWebSocketSubscriptionsAskingForItSeeThem() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki f1 = CdcFuseki.start(work.resolve("f1"), followerConfig(work.resolve("f1")), b -> {})) {
            String boundary = "----cdc-form";
            HttpResponse<String> upload = leader.post("/ds/upload", "multipart/form-data; boundary=" + boundary,
                                                      form(boundary, "<http://ex/u1> <http://ex/p> \"upload endpoint\" ."));
            assertEquals(200, upload.statusCode(), upload.body());
            long v1 = version(upload);
            assertEquals(1, v1, "the upload names the version it committed");
            assertTrue(askTrue(ask(f1, "ASK { <http://ex/u1> ?p ?o }", Long.toString(v1), "")), "a read asking for the upload's version sees it");

            HttpResponse<String> toDataset = leader.post("/ds", "multipart/form-data; boundary=" + boundary,
                                                         form(boundary, "<http://ex/u2> <http://ex/p> \"form to the dataset\" ."));
            assertTrue(toDataset.statusCode() / 100 == 2, toDataset + " " + toDataset.body());
            long v2 = version(toDataset);
            assertEquals(v1 + 1, v2, "a form posted to the dataset names the version it committed");
            assertTrue(askTrue(ask(f1, "ASK { <http://ex/u2> ?p ?o }", null, "&minVersion=" + v2)));

            HttpResponse<String> patch = leader.post("/ds/patch", "application/rdf-patch",
                                                     "TX .\nA <http://ex/pa> <http://ex/p> \"patched\" .\nD <http://ex/u1> <http://ex/p> \"upload endpoint\" .\nTC .\n");
            assertTrue(patch.statusCode() / 100 == 2, patch + " " + patch.body());
            long v3 = version(patch);
            assertEquals(v2 + 1, v3, "an RDF Patch names the version it committed");
            assertTrue(askTrue(ask(f1, "ASK { <http://ex/pa> ?p ?o FILTER NOT EXISTS { <http://ex/u1> ?q ?r } }", Long.toString(v3), "")));

            // A WebSocket subscription asking for the patch's version starts from it.
            try (WsClient ws = new WsClient(f1.url("/ds/live"), java.util.Map.of())) {
                ws.send("{\"subscribe\": {\"sparql\": \"ASK { <http://ex/pa> ?p ?o }\", \"alias\": \"p\", \"minVersion\": " + v3 + "}}");
                JsonObject n = ws.next().get("notification").getAsObject();
                assertEquals("p", n.get("alias").getAsString().value());
                assertTrue(n.get("initial").getAsBoolean().value(), n.toString());
                assertTrue(n.get("boolean").getAsBoolean().value(), "the first answer sees the patch: " + n);
                assertTrue(num(n, "version") >= v3, n.toString());
            }
        }
    }

    @Test
    void readinessAnswers503OnEachLagBoundWhileAFollowerIsHeldBackAnd200OnceCaughtUp() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki f1 = CdcFuseki.start(work.resolve("f1"), followerConfig(work.resolve("f1"), "cdc:readyMaxLagVersions 5 ; cdc:readyMaxLagMillis 400 ;"),
                                            b -> {})) {
            leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s1 ex:p 1 }");
            await("the follower is caught up", () -> get(f1, "/$/cdc/ds/ready?maxLagVersions=0&maxLagMillis=0").statusCode() == 200);
            HttpResponse<String> caughtUp = get(f1, "/$/cdc/ds/ready");
            assertEquals(200, caughtUp.statusCode(), caughtUp.body());
            assertTrue(caughtUp.body().contains("\"maxLagVersions\":5,\"maxLagMillis\":400"), "the bounds of the configuration: " + caughtUp.body());

            // Another writer holds the follower's store: the follower reads the next version and cannot apply it.
            DatasetGraph store = f1.runtime("ds").dataset().getWrapped();
            store.begin(TxnType.WRITE);
            try {
                long v = version(leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s2 ex:p 2 }"));
                await("the follower has read version " + v, () -> f1.runtime("ds").follower().orElseThrow().status().leaderVersion() == v);

                HttpResponse<String> versions = get(f1, "/$/cdc/ds/ready?maxLagVersions=0&maxLagMillis=3600000");
                assertEquals(503, versions.statusCode(), "one version behind, none allowed: " + versions.body());
                assertTrue(versions.headers().firstValue("Retry-After").isPresent());
                assertEquals(1, field(versions.body(), "lagVersions"), versions.body());
                assertEquals(v, field(versions.body(), "leaderVersion"), versions.body());
                assertEquals(v - 1, field(versions.body(), "version"), versions.body());
                assertTrue(versions.body().contains("\"ready\":false,\"role\":\"follower\",\"state\":\"FOLLOWING\""), versions.body());
                HttpResponse<String> within = get(f1, "/$/cdc/ds/ready?maxLagMillis=3600000");
                assertEquals(200, within.statusCode(), "within 5 versions and an hour: " + within.body());

                // Stuck applying, the lag in time keeps growing until it passes the configured 400 ms.
                await("the follower's lag passes 400 ms", () -> get(f1, "/$/cdc/ds/ready").statusCode() == 503);
                HttpResponse<String> millis = get(f1, "/$/cdc/ds/ready");
                assertEquals(503, millis.statusCode(), millis.body());
                assertTrue(field(millis.body(), "lagMillis") > 400, millis.body());
                assertEquals(1, field(millis.body(), "lagVersions"), "within the versions bound, past the time bound: " + millis.body());

                // A read asking for the version is refused with both figures: behind what it asked, and behind the leader.
                HttpResponse<String> late = ask(f1, "ASK { ?s ?p ?o }", Long.toString(v), "&maxWait=200");
                assertEquals(503, late.statusCode(), late.body());
                assertEquals(1, field(late.body(), "behindAsked"), late.body());
                assertEquals(1, field(late.body(), "lagVersions"), late.body());
                assertTrue(field(late.body(), "lagMillis") > 400, late.body());

                // So is a WebSocket subscription asking for it, with the same figures.
                try (WsClient ws = new WsClient(f1.url("/ds/live"), java.util.Map.of())) {
                    ws.send("{\"subscribe\": {\"sparql\": \"ASK { ?s ?p ?o }\", \"alias\": \"a\", \"minVersion\": " + v + ", \"maxWait\": 200}}");
                    JsonObject e = ws.next().get("error").getAsObject();
                    assertEquals(503, num(e, "status_code"), e.toString());
                    assertEquals("behind", e.get("error").getAsString().value(), e.toString());
                    assertEquals(v, num(e, "minVersion"), e.toString());
                    assertEquals(1, num(e, "behindAsked"), e.toString());
                    assertEquals(1, num(e, "lagVersions"), e.toString());
                    assertTrue(num(e, "lagMillis") > 400, e.toString());
                }
            } finally {
                store.abort();
                store.end();
            }
            await("the follower is caught up again", () -> get(f1, "/$/cdc/ds/ready?maxLagVersions=0&maxLagMillis=0").statusCode() == 200);
            HttpResponse<String> again = get(f1, "/$/cdc/ds/ready");
            assertEquals(200, again.statusCode(), again.body());
            assertEquals(0, field(again.body(), "lagVersions"), again.body());
            assertEquals(0, field(again.body(), "lagMillis"), again.body());
        }
    }
}
