package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live queries over HTTP with a real client: answer, updates tagged with versions, resume, limits and errors. */
class LiveQueryIT {
    private static final String Q = "PREFIX : <http://example/> SELECT ?s ?o { ?s :p ?o }";

    @TempDir
    Path work;

    private String config(String extra) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", extra + "\n    cdc:logDirectory");
    }

    private static String live(CdcFuseki f, String query) {
        return f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    }

    private static void insert(CdcFuseki f, String triples) {
        assertEquals(204, f.update("ds", "PREFIX : <http://example/> INSERT DATA { " + triples + " }").statusCode());
    }

    private static JsonObject json(SseClient.Event e) {
        return JSON.parse(e.data());
    }

    @Test
    void aClientGetsTheAnswerThenAdditionsAndDeletionsWithTheVersion() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            insert(f, ":a :p 1 .");
            try (SseClient c = new SseClient(live(f, Q), Map.of())) {
                assertEquals(200, c.response.statusCode());
                SseClient.Event initial = c.next();
                assertEquals("initial", initial.event());
                assertEquals("1", initial.id());
                assertEquals(1, json(initial).get("results").getAsObject().get("bindings").getAsArray().size());
                assertEquals("up-to-date", c.next().event());
                f.update("ds", "PREFIX : <http://example/> DELETE DATA { :a :p 1 } ; INSERT DATA { :b :p 2 }");
                SseClient.Event update = c.next();
                assertEquals("update", update.event());
                assertEquals("2", update.id());
                JsonObject u = json(update);
                assertEquals(2, u.get("version").getAsNumber().value().intValue());
                assertEquals("http://example/b", u.get("additions").getAsArray().get(0).getAsObject().get("s").getAsObject().get("value").getAsString().value());
                assertEquals(1, u.get("deletions").getAsArray().size());
                insert(f, ":x :other 1 .");
                insert(f, ":c :p 3 .");
                assertEquals("4", c.next().id(), "version 3 did not touch the query");
            }
        }
    }

    @Test
    void aReconnectWithLastEventIdGetsTheMissedChanges() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             SseClient keepAlive = new SseClient(live(f, Q), Map.of())) {
            keepAlive.next();
            insert(f, ":a :p 1 .");
            String seen;
            try (SseClient c = new SseClient(live(f, Q), Map.of())) {
                c.next();
                seen = c.next().id();
            }
            insert(f, ":b :p 2 .");
            insert(f, ":c :p 3 .");
            try (SseClient c = new SseClient(live(f, Q), Map.of("Last-Event-ID", seen))) {
                SseClient.Event e = c.next();
                assertEquals("update", e.event());
                assertEquals("3", e.id());
                assertEquals(2, json(e).get("additions").getAsArray().size());
            }
            try (SseClient c = new SseClient(live(f, "PREFIX : <http://example/> SELECT * { ?s :q ?o }"), Map.of("Last-Event-ID", "1"))) {
                SseClient.Event e = c.next();
                assertEquals("initial", e.event());
                assertTrue(json(e).get("resync").getAsBoolean().value(), "unknown history: a resync");
            }
        }
    }

    @Test
    void askAndConstructQueries() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             SseClient ask = new SseClient(live(f, "PREFIX : <http://example/> ASK { :a :p ?o }"), Map.of());
             SseClient construct = new SseClient(live(f, "PREFIX : <http://example/> CONSTRUCT { ?o :of :a } WHERE { :a :p ?o }"), Map.of())) {
            assertEquals(false, json(ask.next()).get("boolean").getAsBoolean().value());
            construct.next();
            insert(f, ":a :p :x .");
            ask.next();
            assertEquals(true, json(ask.next()).get("boolean").getAsBoolean().value());
            construct.next();
            JsonObject triple = json(construct.next()).get("additions").getAsArray().get(0).getAsObject();
            assertEquals("http://example/of", triple.get("predicate").getAsObject().get("value").getAsString().value());
        }
    }

    @Test
    void badRequestsAndLimitsGetClearErrors() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config("cdc:liveMaxPerClient 1 ; cdc:liveHeartbeatSeconds 1 ;"), b -> {})) {
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(java.net.URI.create(live(f, "SELECT * {"))).header("Accept", "text/event-stream"));
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("Bad query"), r.body());
            r = f.send(HttpRequest.newBuilder(java.net.URI.create(live(f, Q))));
            assertEquals(406, r.statusCode());
            try (SseClient first = new SseClient(live(f, Q), Map.of())) {
                first.next();
                r = f.send(HttpRequest.newBuilder(java.net.URI.create(live(f, Q))).header("Accept", "text/event-stream"));
                assertEquals(429, r.statusCode());
                first.next();
                SseClient.Event hb;
                do {
                    hb = first.poll(5000);
                } while ( hb != null && !hb.event().equals("heartbeat") );
                assertTrue(hb != null, "an idle stream sends heartbeats");
            }
        }
    }

    @Test
    void theAuthExampleLetsSignedInUsersSubscribeAndOnlyAdminWrite() throws Exception {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        String config = CdcFuseki.exampleConfig("live-auth.ttl", work).replace("\"" + work + "/passwd\"", "\"" + passwd + "\"");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            HttpResponse<String> anonymous = f.send(HttpRequest.newBuilder(java.net.URI.create(live(f, Q))).header("Accept", "text/event-stream"));
            assertEquals(401, anonymous.statusCode());
            String alice = "Basic " + java.util.Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
            String admin = "Basic " + java.util.Base64.getEncoder().encodeToString("admin:admin-pw".getBytes(StandardCharsets.UTF_8));
            try (SseClient c = new SseClient(live(f, Q), Map.of("Authorization", alice))) {
                assertEquals("initial", c.next().event());
                HttpResponse<String> denied = f.send(HttpRequest.newBuilder(java.net.URI.create(f.url("/ds/update"))).header("Authorization", alice)
                                                                .header("Content-Type", "application/sparql-update")
                                                                .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/a> <http://example/p> 1 }")));
                assertEquals(403, denied.statusCode());
                HttpResponse<String> ok = f.send(HttpRequest.newBuilder(java.net.URI.create(f.url("/ds/update"))).header("Authorization", admin)
                                                            .header("Content-Type", "application/sparql-update")
                                                            .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/a> <http://example/p> 1 }")));
                assertEquals(204, ok.statusCode());
                c.next();  // up-to-date
                assertEquals("update", c.next().event());
            }
        }
    }
}
