package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.live.LiveQueryEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live query subscriptions are counted exactly whichever way they end, or are never made: the
 * {@code fusekicdc_live_subscriptions} gauge, the admin listing and the per-client limit agree
 * with what clients hold after each path.
 */
class LiveCountsIT {
    private static final String CHEAP = "PREFIX : <http://example/> SELECT ?o { :s :p ?o }";
    // Three times 300 triples joined: 27 million rows to count, far beyond the time a test waits.
    private static final String COSTLY = "SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }";

    @TempDir
    Path work;

    private CdcFuseki start(String options) {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", options + "\n    cdc:logDirectory");
        return CdcFuseki.start(work, config, b -> b.enableMetrics(true));
    }

    private static String live(CdcFuseki f, String query) {
        return f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    }

    private static String subscribe(String query) {
        return "{\"subscribe\": {\"sparql\": \"" + query.replace("\"", "\\\"") + "\"}}";
    }

    private static LiveQueryEngine engine(CdcFuseki f) {
        return f.runtime("ds").liveEngine();
    }

    /** Wait until the gauge, the engine and the admin listing all say {@code n} subscriptions. */
    private static void awaitCount(CdcFuseki f, int n, String after) throws InterruptedException {
        await(() -> engine(f).subscriptionCount() == n && engine(f).placesHeld() == n, n + " subscriptions after " + after);
        assertEquals(n, gauge(f, "fusekicdc_live_subscriptions"), "gauge after " + after);
        JsonObject list = JSON.parse(f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/subscriptions")))).body());
        assertEquals(n, list.get("subscriptions").getAsArray().size(), "admin listing after " + after);
    }

    private static double gauge(CdcFuseki f, String name) {
        String m = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/metrics")))).body();
        Matcher v = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{[^}]*dataset=\"ds\"[^}]*\\} (\\S+)$").matcher(m);
        assertTrue(v.find(), () -> "no " + name + " in /$/metrics");
        return Double.parseDouble(v.group(1));
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        TestSupport.await(what, java.time.Duration.ofSeconds(20), condition);
    }

    private static void insertTriples(CdcFuseki f, int n) {
        StringBuilder sb = new StringBuilder("INSERT DATA {");
        for ( int i = 0 ; i < n ; i++ )
            sb.append(" <http://example/r").append(i).append("> <http://example/row> ").append(i).append(" .");
        assertEquals(204, f.update("ds", sb.append(" }").toString()).statusCode());
    }

    @Test
    void unsubscribingAndLeavingGiveThePlaceBackOnBothTransports() throws Exception {
        try (CdcFuseki f = start("cdc:liveMaxPerClient 2 ; cdc:liveHeartbeatSeconds 1 ;")) {
            try (SseClient sse = new SseClient(live(f, CHEAP), Map.of("Accept", "text/event-stream"));
                 WsClient ws = new WsClient(f.url("/ds/live").replace("http", "ws"), Map.of())) {
                sse.next();
                ws.send(subscribe(CHEAP));
                String spuid = ws.next().get("notification").getAsObject().get("spuid").getAsString().value();
                awaitCount(f, 2, "two subscriptions");
                ws.send("{\"unsubscribe\": {\"spuid\": \"" + spuid + "\"}}");
                assertTrue(ws.next().hasKey("unsubscribed"));
                awaitCount(f, 1, "a WebSocket unsubscribe");
                ws.send(subscribe(CHEAP));
                ws.next();
                awaitCount(f, 2, "subscribing again up to the per-client limit");
            }
            // A stream is found gone when the next heartbeat cannot be written.
            awaitCount(f, 0, "both clients left");
        }
    }

    @Test
    void aClientThatLeavesBeforeItsAnswerIsNeverRegisteredAndItsEvaluationStops() throws Exception {
        try (CdcFuseki f = start("cdc:liveMaxPerClient 1 ; cdc:liveCostlyQueryMillis 50 ;")) {
            insertTriples(f, 300);
            try (WsClient ws = new WsClient(f.url("/ds/live").replace("http", "ws"), Map.of())) {
                ws.send(subscribe(COSTLY));
                await(() -> engine(f).queryCount() == 1 && engine(f).placesHeld() == 1, "the request under way");
                assertEquals(0, engine(f).subscriptionCount(), "not registered before it is answered");
                assertEquals(1, gauge(f, "fusekicdc_live_costly_queries"), "evaluated by the costly-query threads");
            }
            await(() -> engine(f).queryCount() == 0, "the costly query dropped (its evaluation aborted)");
            assertEquals(0, gauge(f, "fusekicdc_live_costly_queries"));
            awaitCount(f, 0, "the client left before its answer");
            try (SseClient sse = new SseClient(live(f, CHEAP), Map.of("Accept", "text/event-stream"))) {
                assertEquals("initial", sse.next().event(), "the client's place was given back");
                awaitCount(f, 1, "a new subscription");
            }
        }
    }

    /** The server notices an SSE client has gone only when it writes to it: here its answer, a 422 after the 2 s budget. */
    @Test
    void anSseClientThatLeavesBeforeItsAnswerIsNeverRegistered() throws Exception {
        try (CdcFuseki f = start("cdc:liveMaxPerClient 1 ; cdc:liveCostlyQueryMillis 50 ; cdc:liveQueryTimeoutSeconds 2 ;")) {
            insertTriples(f, 300);
            URI uri = URI.create(live(f, COSTLY));
            try (java.net.Socket socket = new java.net.Socket(uri.getHost(), uri.getPort())) {
                socket.getOutputStream().write(("GET " + uri.getRawPath() + "?" + uri.getRawQuery() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                                                + "\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                await(() -> engine(f).queryCount() == 1 && engine(f).placesHeld() == 1, "the request under way");
            }
            await(() -> engine(f).queryCount() == 0, "the costly query ended by its time budget");
            awaitCount(f, 0, "the client left before its answer");
            try (SseClient sse = new SseClient(live(f, CHEAP), Map.of("Accept", "text/event-stream"))) {
                assertEquals("initial", sse.next().event(), "the client's place was given back");
            }
        }
    }

    @Test
    void aQueryThatCanNeverBeLiveGets422AndTheClientKeepsItsPlaces() throws Exception {
        try (CdcFuseki f = start("cdc:liveMaxPerClient 1 ; cdc:liveMaxResultRows 10 ;")) {
            insertTriples(f, 20);
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(live(f, "SELECT * { ?s ?p ?o }"))).header("Accept", "text/event-stream"));
            assertEquals(422, r.statusCode(), r.body());
            assertTrue(r.body().contains("cdc:liveMaxResultRows"), r.body());
            awaitCount(f, 0, "a refused subscription");
            try (SseClient sse = new SseClient(live(f, CHEAP), Map.of("Accept", "text/event-stream"))) {
                sse.next();
                awaitCount(f, 1, "a subscription after a refused one");
            }
        }
    }

    @Test
    void aQueryEndedByItsBudgetTellsItsSubscribersAndGivesThePlacesBack() throws Exception {
        try (CdcFuseki f = start("cdc:liveMaxResultRows 10 ;")) {
            insertTriples(f, 8);
            String q = "SELECT * { ?s <http://example/row> ?o }";
            try (SseClient sse = new SseClient(live(f, q), Map.of("Accept", "text/event-stream"));
                 WsClient ws = new WsClient(f.url("/ds/live").replace("http", "ws"), Map.of())) {
                sse.next();
                ws.send(subscribe(q));
                ws.next();
                awaitCount(f, 2, "two subscriptions");
                assertEquals(204, f.update("ds", "INSERT DATA { <http://example/x> <http://example/row> 1 , 2 , 3 }").statusCode());
                SseClient.Event e;
                do {
                    e = sse.next();
                } while ( !e.event().equals("error") );
                assertTrue(e.data().contains("cdc:liveMaxResultRows"), e.data());
                JsonObject err = ws.next().get("error").getAsObject();
                assertEquals(410, err.get("status_code").getAsNumber().value().intValue());
                assertTrue(err.get("error_description").getAsString().value().contains("cdc:liveMaxResultRows"), err.toString());
                awaitCount(f, 0, "the query's budget ended it");
            }
        }
    }
}
