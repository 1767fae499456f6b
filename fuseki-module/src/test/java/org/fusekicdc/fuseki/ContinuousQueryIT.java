package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous (RSP-QL) queries served by a real Fuseki: registered by a client on the live
 * endpoint (steps as SSE events, closed by the clock without new commits, with the dataset
 * joined in), refused with the cause, held to the live-query limits; and configured in
 * config.ttl, materialised into a named graph whose own commits never feed its windows.
 */
class ContinuousQueryIT {
    private static final String PREFIXES = "PREFIX ex: <http://example/> ";
    private static final String ADDED = "<https://w3id.org/fuseki-cdc#added>";

    @TempDir
    Path work;

    private static String live(CdcFuseki f, String query) {
        return f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    }

    private static HttpResponse<String> register(CdcFuseki f, String query) {
        return f.send(HttpRequest.newBuilder(URI.create(live(f, query))).header("Accept", "text/event-stream").GET());
    }

    private static void update(CdcFuseki f, String update) {
        assertEquals(204, f.update("ds", PREFIXES + update).statusCode());
    }

    /** The next step event whose results have rows, skipping the steps of windows that held nothing. */
    private static JsonObject nextStepWithRows(SseClient c) throws InterruptedException {
        for ( int i = 0 ; i < 20 ; i++ ) {
            SseClient.Event e = c.next();
            assertEquals("step", e.event(), () -> "event " + e);
            JsonObject step = JSON.parse(e.data());
            assertEquals(e.id(), String.valueOf(step.get("step").getAsNumber().value().longValue()), "the event id is the step number");
            if ( !bindings(step).isEmpty() )
                return step;
        }
        throw new AssertionError("no step with rows among 20");
    }

    private static JsonArray bindings(JsonObject step) {
        return step.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
    }

    private static String value(JsonObject row, String var) {
        return row.get(var).getAsObject().get("value").getAsString().value();
    }

    @Test
    void aClientGetsOneStepEventPerWindowWithTheDatasetJoinedInAndTheClockClosesWindows() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            update(f, "INSERT DATA { ex:s1 ex:inRoom ex:kitchen . ex:s2 ex:inRoom ex:hall }");
            String query = PREFIXES + "REGISTER RSTREAM <urn:q:avg> AS SELECT ?room (AVG(?t) AS ?avg) (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON "
                           + ADDED + " [RANGE PT1S STEP PT1S] WHERE { WINDOW <urn:w> { ?obs ex:sensor ?s ; ex:value ?t } ?s ex:inRoom ?room } GROUP BY ?room";
            try (SseClient c = new SseClient(live(f, query), Map.of())) {
                assertEquals(200, c.response.statusCode());
                update(f, "INSERT DATA { ex:o1 ex:sensor ex:s1 ; ex:value 20 . ex:o2 ex:sensor ex:s1 ; ex:value 22 . ex:o3 ex:sensor ex:s2 ; ex:value 18 }");
                long written = f.dataset("ds").changeLog().publishedVersion();
                // No commit follows: the clock alone closes the window.
                JsonObject step = nextStepWithRows(c);
                Instant start = Instant.parse(step.get("windowStart").getAsString().value());
                Instant end = Instant.parse(step.get("windowEnd").getAsString().value());
                assertEquals(Duration.ofSeconds(1), Duration.between(start, end));
                assertEquals(written, step.get("version").getAsNumber().value().longValue(), "evaluated at the version after the insert");
                assertEquals(List.of("room", "avg", "n"), step.get("results").getAsObject().get("head").getAsObject().get("vars").getAsArray()
                                                              .stream().map(v -> v.getAsString().value()).toList());
                Map<String, String> avgByRoom = new java.util.TreeMap<>();
                bindings(step).forEach(r -> avgByRoom.put(value(r.getAsObject(), "room"), value(r.getAsObject(), "avg")));
                assertEquals(Map.of("http://example/hall", "18", "http://example/kitchen", "21"), normalise(avgByRoom));
            }
        }
    }

    private static Map<String, String> normalise(Map<String, String> numbers) {
        Map<String, String> out = new java.util.TreeMap<>();
        numbers.forEach((k, v) -> out.put(k, new java.math.BigDecimal(v).stripTrailingZeros().toPlainString()));
        return out;
    }

    @Test
    void aQueryStartedAsOfAnEarlierVersionReplaysItsStepsFromThereAndGoesOnLive() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            update(f, "INSERT DATA { ex:a ex:p 1 }");
            long start = f.dataset("ds").changeLog().publishedVersion();
            update(f, "INSERT DATA { ex:b ex:p 2 }");
            update(f, "INSERT DATA { ex:c ex:p 3 }");
            String query = PREFIXES + "REGISTER RSTREAM <urn:q:count> AS SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED
                           + " [ROWS 10] WHERE { WINDOW <urn:w> { ?s ex:p ?o } }";
            try (SseClient c = new SseClient(live(f, query) + "&version=" + start, Map.of())) {
                assertEquals(200, c.response.statusCode());
                assertEquals(String.valueOf(start), c.response.headers().firstValue("X-CDC-Version").orElse(null));
                // The two commits after the version asked for, replayed: the window holds what came after it only.
                assertStep(c.next(), start + 1, 1);
                assertStep(c.next(), start + 2, 2);
                update(f, "INSERT DATA { ex:d ex:p 4 }");
                assertStep(c.next(), start + 3, 3);
            }
            HttpResponse<String> newer = f.send(HttpRequest.newBuilder(URI.create(live(f, query) + "&version=999")).header("Accept", "text/event-stream").GET());
            assertEquals(400, newer.statusCode());
            assertTrue(newer.body().contains("newer than the newest version"), newer.body());
        }
    }

    private static void assertStep(SseClient.Event e, long version, int count) {
        assertEquals("step", e.event(), () -> "event " + e);
        JsonObject step = JSON.parse(e.data());
        assertEquals(version, step.get("version").getAsNumber().value().longValue(), () -> "step " + step);
        assertEquals(String.valueOf(count), value(bindings(step).get(0).getAsObject(), "n"), () -> "step " + step);
    }

    @Test
    void badContinuousQueriesAreRefusedWithTheCause() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            HttpResponse<String> malformed = register(f, "SELECT * FROM NAMED WINDOW <urn:w> ON " + ADDED + " [RANGE five minutes] WHERE { WINDOW <urn:w> { ?s ?p ?o } }");
            assertEquals(400, malformed.statusCode());
            assertTrue(malformed.body().contains("RANGE takes an ISO 8601 duration"), malformed.body());
            HttpResponse<String> unknownStream = register(f, "SELECT * FROM NAMED WINDOW <urn:w> ON <urn:nowhere> [RANGE PT1M] WHERE { WINDOW <urn:w> { ?s ?p ?o } }");
            assertEquals(400, unknownStream.statusCode());
            assertTrue(unknownStream.body().contains("unknown stream <urn:nowhere>"), unknownStream.body());
            HttpResponse<String> tooLarge = register(f, "SELECT * FROM NAMED WINDOW <urn:w> ON " + ADDED + " [ROWS 100000000] WHERE { WINDOW <urn:w> { ?s ?p ?o } }");
            assertEquals(400, tooLarge.statusCode());
            assertTrue(tooLarge.body().contains("cdc:maxWindowQuads"), tooLarge.body());
        }
    }

    @Test
    void theEventStreamOpensAtOnceNotAtTheFirstStepOrHeartbeat() throws Exception {
        // A window of an hour and heartbeats at the longest allowed (25 s): no step comes, and the
        // response must not wait for the first heartbeat.
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:liveHeartbeatSeconds 25 ;\n    cdc:logDirectory");
        String query = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED + " [RANGE PT1H STEP PT1H] WHERE { WINDOW <urn:w> { ?s ?p ?o } }";
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            HttpResponse<InputStream> opened = HttpClient.newHttpClient()
                .sendAsync(HttpRequest.newBuilder(URI.create(live(f, query))).header("Accept", "text/event-stream").GET().build(),
                           HttpResponse.BodyHandlers.ofInputStream())
                .get(15, TimeUnit.SECONDS);
            try (InputStream body = opened.body()) {
                assertEquals(200, opened.statusCode());
                assertEquals("text/event-stream", opened.headers().firstValue("Content-Type").orElse("").replaceAll(";.*", ""));
            }
        }
    }

    @Test
    void continuousQueriesCountAgainstTheLiveLimitsOfTheirClient() throws Exception {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:liveMaxPerClient 1 ; cdc:liveHeartbeatSeconds 1 ;\n    cdc:logDirectory");
        String query = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED + " [RANGE PT1M] WHERE { WINDOW <urn:w> { ?s ?p ?o } }";
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            try (SseClient first = new SseClient(live(f, query), Map.of())) {
                assertEquals(200, first.response.statusCode());
                HttpResponse<String> second = register(f, query);
                assertEquals(429, second.statusCode());
                assertTrue(second.body().contains("cdc:liveMaxPerClient"), second.body());
            }
            TestSupport.await("the first registration's place given back", Duration.ofSeconds(10),
                              () -> f.runtime("ds").continuousQueries().subscriptionCount() == 0);
            try (SseClient again = new SseClient(live(f, query), Map.of())) {
                assertEquals(200, again.response.statusCode());
            }
        }
    }

    @Test
    void aConfiguredConstructQueryKeepsAViewGraphThatNeverFeedsItsOwnWindows() throws Exception {
        // Counts every quad added in each window (not the event's time and version the window adds to each subject):
        // were the view's own commits fed back, its counts would include them.
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory \"", """
            cdc:continuousQuery [
                    cdc:name "count" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:count> AS CONSTRUCT { ex:window ex:added ?n }
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT1S]
                        WHERE { { SELECT (COUNT(*) AS ?n) WHERE { WINDOW <urn:w> { ?s ?p ?o
                            FILTER (?p NOT IN (<https://w3id.org/fuseki-cdc#time>, <https://w3id.org/fuseki-cdc#version>)) } } } }\""" ;
                    cdc:outputGraph <urn:view:count>
                ] ;
                cdc:logDirectory \"""");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            update(f, "INSERT DATA { ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:p 3 }");
            String ask = "ASK { GRAPH <urn:view:count> { <http://example/window> <http://example/added> 3 } }";
            TestSupport.await("the view graph holding the window's count", Duration.ofSeconds(20),
                              () -> f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/sparql?query=" + URLEncoder.encode(ask, StandardCharsets.UTF_8))))
                                             .header("Accept", "application/sparql-results+json").GET()).body().contains("true"));
            // Some more steps, each a captured commit of the view.
            long after = f.dataset("ds").changeLog().publishedVersion();
            TestSupport.await("three more steps of the view", Duration.ofSeconds(20),
                              () -> f.dataset("ds").changeLog().publishedVersion() >= after + 3);
            List<Long> counts = ViewCommits.added(f, "ds", "http://example/added");
            List<Long> steps = ViewCommits.added(f, "ds", ViewCommits.LAST_STEP);
            assertFalse(counts.isEmpty());
            assertTrue(counts.stream().allMatch(n -> n == 0 || n == 3), "only the client's 3 quads are ever counted, never the view's own: " + counts);
            for ( int i = 1 ; i < steps.size() ; i++ )
                assertEquals(steps.get(i - 1) + 1, steps.get(i), "one view commit per step, none skipped or doubled: " + steps);
        }
    }
}
