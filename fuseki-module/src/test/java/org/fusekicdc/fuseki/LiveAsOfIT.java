package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.graph.Node;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.QuerySolution;
import org.apache.jena.query.ResultSet;
import org.apache.jena.sparql.core.Quad;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Live queries started as of an earlier version, differential: a random
 * workload is written, the test keeps a dump after every version; a subscription as of version N
 * must get the query's answer on dump N, then for each later version the rows added and removed
 * between the answers on consecutive dumps, through the head and then a live write, no version
 * skipped or repeated; the same over WebSocket ({@code "version"} or {@code "datetime"} in the
 * subscribe message). Then bad versions (400) and versions beyond retention (410).
 */
class LiveAsOfIT {
    private static final String EVERYTHING = "SELECT ?g ?s ?p ?o { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
    private static final String JOIN = "SELECT ?s ?o2 { ?s <http://example/p0> ?o . ?o <http://example/p1> ?o2 }";

    @TempDir
    Path work;

    private static String live(CdcFuseki f, String query, String extra) {
        return f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8) + extra);
    }

    /** 25 versions of random changes. */
    private static RandomVersions written(CdcFuseki f, Random rnd) {
        RandomVersions versions = new RandomVersions(f, rnd, new String[] { null, "http://example/g1" }, 4);
        versions.writeUntil(25);
        return versions;
    }

    /** Write random versions until the query's answer differs from {@code answer}; the version where it first does. */
    private static long writeUntilTheAnswerChanges(RandomVersions versions, String query, List<String> answer) {
        List<Set<Quad>> dumps = versions.dumps();
        int target = dumps.size();
        do {
            versions.writeUntil(target++);
        } while ( expected(dumps.get(dumps.size() - 1), query).equals(answer) );
        return dumps.size() - 1;
    }

    /** The query's rows on a dump, each as "var=type:value" pairs, sorted. */
    private static List<String> expected(Set<Quad> dump, String query) {
        List<String> rows = new ArrayList<>();
        try (QueryExecution qe = QueryExecutionFactory.create(query, DatasetFactory.wrap(RandomVersions.copy(dump)))) {
            ResultSet rs = qe.execSelect();
            List<String> vars = rs.getResultVars().stream().sorted().toList();
            while ( rs.hasNext() ) {
                QuerySolution s = rs.next();
                List<String> row = new ArrayList<>();
                for ( String v : vars ) {
                    if ( s.contains(v) ) {
                        Node n = s.get(v).asNode();
                        row.add(v + "=" + (n.isURI() ? "uri:" + n.getURI() : "literal:" + n.getLiteralLexicalForm()));
                    }
                }
                rows.add(row.toString());
            }
        }
        rows.sort(null);
        return rows;
    }

    private static List<String> rows(JsonArray bindings) {
        List<String> rows = new ArrayList<>();
        for ( JsonValue b : bindings ) {
            JsonObject o = b.getAsObject();
            List<String> row = new ArrayList<>();
            o.keys().stream().sorted().forEach(v -> {
                JsonObject t = o.get(v).getAsObject();
                row.add(v + "=" + t.get("type").getAsString().value() + ":" + t.get("value").getAsString().value());
            });
            rows.add(row.toString());
        }
        rows.sort(null);
        return rows;
    }

    /** {@code a} minus {@code b}, as multisets, sorted. */
    private static List<String> minus(List<String> a, List<String> b) {
        List<String> out = new ArrayList<>(a);
        b.forEach(out::remove);
        out.sort(null);
        return out;
    }

    /** The events after the initial one: one update per version after {@code from} up to {@code to}, each the difference of the dumps. */
    private static void assertReplay(SseClient c, List<Set<Quad>> dumps, String query, long from, long to, String seed) throws Exception {
        for ( long v = from + 1 ; v <= to ; v++ ) {
            SseClient.Event e = c.next();
            assertEquals("update", e.event(), seed + ", version " + v);
            assertEquals(String.valueOf(v), e.id(), seed + ": one update per version, none skipped or repeated");
            JsonObject u = JSON.parse(e.data());
            List<String> before = expected(dumps.get((int)v - 1), query);
            List<String> after = expected(dumps.get((int)v), query);
            assertEquals(minus(after, before), rows(u.get("additions").getAsArray()), seed + ", additions at version " + v + ": " + query);
            assertEquals(minus(before, after), rows(u.get("deletions").getAsArray()), seed + ", deletions at version " + v + ": " + query);
            if ( v == to )
                assertEquals("up-to-date", c.next().event(), seed + ": up to date once the replay reaches the live version");
        }
    }

    @Test
    void aSubscriptionAsOfAVersionReplaysEachVersionThenGoesLive() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            RandomVersions versions = written(f, rnd);
            List<Set<Quad>> dumps = versions.dumps();
            for ( String query : List.of(EVERYTHING, JOIN) ) {
                int n = rnd.nextInt(20);
                long head = dumps.size() - 1;
                try (SseClient c = new SseClient(live(f, query, "&version=" + n), Map.of())) {
                    assertEquals(200, c.response.statusCode());
                    assertEquals(String.valueOf(n), c.response.headers().firstValue("X-CDC-Version").orElseThrow());
                    SseClient.Event initial = c.next();
                    assertEquals("initial", initial.event(), "seed " + seed);
                    assertEquals(String.valueOf(n), initial.id());
                    assertEquals(expected(dumps.get(n), query),
                                 rows(JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray()), "seed " + seed + ", version " + n);
                    if ( n == head )
                        assertEquals("up-to-date", c.next().event());
                    assertReplay(c, dumps, query, n, head, "seed " + seed);
                    // Live from here on: the next change the query sees comes as one update at its own version.
                    List<String> atHead = expected(dumps.get((int)head), query);
                    long live = writeUntilTheAnswerChanges(versions, query, atHead);
                    SseClient.Event e = c.next();
                    assertEquals("update", e.event());
                    assertEquals(String.valueOf(live), e.id(), "seed " + seed + ": the first live change");
                    List<String> after = expected(dumps.get((int)live), query);
                    JsonObject u = JSON.parse(e.data());
                    assertEquals(minus(after, atHead), rows(u.get("additions").getAsArray()), "seed " + seed);
                    assertEquals(minus(atHead, after), rows(u.get("deletions").getAsArray()), "seed " + seed);
                }
            }
            // Accept-Datetime far ahead: the last version, then live.
            try (SseClient c = new SseClient(live(f, EVERYTHING, ""), Map.of("Accept-Datetime", "Fri, 01 Jan 2100 00:00:00 GMT"))) {
                assertEquals(200, c.response.statusCode());
                SseClient.Event initial = c.next();
                assertEquals(String.valueOf(dumps.size() - 1), initial.id());
                assertEquals(expected(dumps.get(dumps.size() - 1), EVERYTHING),
                             rows(JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray()));
                assertEquals("up-to-date", c.next().event());
            }
            // Bad versions: 400 naming the fix.
            assertBad(f, live(f, EVERYTHING, "&version=abc"), Map.of(), "version number");
            assertBad(f, live(f, EVERYTHING, "&version=" + (dumps.size() + 100)), Map.of(), "newer than the newest version");
            assertBad(f, live(f, EVERYTHING, "&version=3"), Map.of("Last-Event-ID", "5"), "not both");
            assertBad(f, live(f, EVERYTHING, "&version=3"), Map.of("Accept-Datetime", "Fri, 01 Jan 2100 00:00:00 GMT"), "not both");
        }
    }

    /** A WebSocket subscribe message for {@code query} with the extra fields {@code asOf} (JSON members, or empty). */
    private static String subscribe(String query, String asOf) {
        JsonObject body = JSON.parse("{" + asOf + "}");
        body.put("sparql", query);
        JsonObject msg = new JsonObject();
        msg.put("subscribe", body);
        return JSON.toStringFlat(msg);
    }

    private static List<String> rows(JsonObject notification, String which) {
        return rows(notification.get(which).getAsObject().get("results").getAsObject().get("bindings").getAsArray());
    }

    /** The notification of the next message, checked to be one, at {@code version}. */
    private static JsonObject notification(WsClient c, long version, String seed) throws InterruptedException {
        JsonObject m = c.next();
        assertTrue(m.hasKey("notification"), seed + ": " + m);
        JsonObject n = m.get("notification").getAsObject();
        assertEquals(version, n.get("version").getAsNumber().value().longValue(), seed + ": one notification per version, none skipped or repeated: " + n);
        return n;
    }

    private static JsonObject error(WsClient c) throws InterruptedException {
        JsonObject m = c.next();
        assertTrue(m.hasKey("error"), m.toString());
        return m.get("error").getAsObject();
    }

    @Test
    void aWebSocketSubscriptionAsOfAVersionReplaysEachVersionThenGoesLive() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        try (CdcFuseki f = CdcFuseki.startQuickstart(work); WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            RandomVersions versions = written(f, rnd);
            List<Set<Quad>> dumps = versions.dumps();
            for ( String query : List.of(EVERYTHING, JOIN) ) {
                int n = rnd.nextInt(20);
                long head = dumps.size() - 1;
                String at = "seed " + seed + ", " + query + " as of " + n;
                c.send(subscribe(query, "\"version\": " + n));
                JsonObject initial = notification(c, n, at);
                assertEquals(true, initial.get("initial").getAsBoolean().value(), at);
                assertEquals(expected(dumps.get(n), query), rows(initial, "addedResults"), at);
                String spuid = initial.get("spuid").getAsString().value();
                for ( long v = n + 1 ; v <= head ; v++ ) {
                    JsonObject u = notification(c, v, at);
                    List<String> before = expected(dumps.get((int)v - 1), query);
                    List<String> after = expected(dumps.get((int)v), query);
                    assertEquals(minus(after, before), rows(u, "addedResults"), at + ", added at version " + v);
                    assertEquals(minus(before, after), rows(u, "removedResults"), at + ", removed at version " + v);
                }
                // Live from here on: the next change the query sees comes as one notification at its own version.
                List<String> atHead = expected(dumps.get((int)head), query);
                long live = writeUntilTheAnswerChanges(versions, query, atHead);
                JsonObject u = notification(c, live, at + ": the first live change");
                List<String> after = expected(dumps.get((int)live), query);
                assertEquals(minus(after, atHead), rows(u, "addedResults"), at);
                assertEquals(minus(atHead, after), rows(u, "removedResults"), at);
                c.send("{\"unsubscribe\": {\"spuid\": \"" + spuid + "\"}}");
                assertTrue(c.next().hasKey("unsubscribed"));
            }
            // A datetime far ahead: the last version, then live.
            long head = dumps.size() - 1;
            c.send(subscribe(EVERYTHING, "\"datetime\": \"Fri, 01 Jan 2100 00:00:00 GMT\""));
            JsonObject initial = notification(c, head, "seed " + seed);
            assertEquals(expected(dumps.get((int)head), EVERYTHING), rows(initial, "addedResults"));
            // Bad starts: 400 naming the fix; the connection stays open for the next.
            Map<String, String> bad = new java.util.LinkedHashMap<>();
            bad.put("\"version\": " + (head + 100), "newer than the newest version");
            bad.put("\"version\": \"abc\"", "must be a dataset version");
            bad.put("\"version\": 3, \"since\": 5", "not both");
            bad.put("\"version\": 3, \"datetime\": \"Fri, 01 Jan 2100 00:00:00 GMT\"", "not both");
            bad.put("\"datetime\": \"yesterday\"", "HTTP date");
            for ( Map.Entry<String, String> b : bad.entrySet() ) {
                c.send(subscribe(EVERYTHING, b.getKey()));
                JsonObject e = error(c);
                assertEquals(400, e.get("status_code").getAsNumber().value().intValue(), b.getKey() + ": " + e);
                assertTrue(e.get("error_description").getAsString().value().contains(b.getValue()), b.getKey() + ": " + e);
            }
        }
    }

    private static void assertBad(CdcFuseki f, String url, Map<String, String> headers, String text) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        headers.forEach(b::header);
        HttpResponse<String> r = f.send(b);
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains(text), "expected '" + text + "' in: " + r.body());
    }

    @Test
    void versionsBeyondRetentionAreRefusedWithTheOldestReachable() throws Exception {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:segmentBytes 1024 ; cdc:retainVersions 3 ; cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            for ( int i = 0 ; i < 30 ; i++ )
                assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
            long oldest = f.runtime("ds").log().firstVersion() - 1;
            assertTrue(oldest > 0, "retention removed old segments");
            String query = "SELECT ?o { <http://example/s> <http://example/p> ?o }";
            HttpResponse<String> gone = f.send(HttpRequest.newBuilder(URI.create(live(f, query, "&version=" + (oldest - 1)))).header("Accept", "text/event-stream"));
            assertEquals(410, gone.statusCode(), gone.body());
            assertEquals(String.valueOf(oldest), gone.headers().firstValue("X-CDC-Oldest-Version").orElseThrow());
            assertTrue(gone.body().contains("version=" + oldest), gone.body());
            try (WsClient ws = new WsClient(f.url("/ds/live"), Map.of())) {
                ws.send(subscribe(query, "\"version\": " + (oldest - 1)));
                JsonObject e = error(ws);
                assertEquals(410, e.get("status_code").getAsNumber().value().intValue(), e.toString());
                assertEquals("gone", e.get("error").getAsString().value());
                assertTrue(e.get("error_description").getAsString().value().contains("version=" + oldest), e.toString());
            }
            try (SseClient c = new SseClient(live(f, query, "&version=" + oldest), Map.of())) {
                assertEquals(200, c.response.statusCode());
                SseClient.Event initial = c.next();
                assertEquals(String.valueOf(oldest), initial.id());
                assertEquals(oldest, JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray().size());
                for ( long v = oldest + 1 ; v <= 30 ; v++ ) {
                    SseClient.Event e = c.next();
                    assertEquals(String.valueOf(v), e.id());
                    JsonObject u = JSON.parse(e.data());
                    assertEquals(1, u.get("additions").getAsArray().size());
                    assertEquals("" + (v - 1), u.get("additions").getAsArray().get(0).getAsObject().get("o").getAsObject().get("value").getAsString().value());
                }
                assertEquals("up-to-date", c.next().event());
            }
        }
    }
}
