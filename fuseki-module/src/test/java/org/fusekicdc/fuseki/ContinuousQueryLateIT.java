package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Events that come too late for an event-time window reach the user: a configured query adds them
 * to its cdc:lateGraph (once, also across a restart, and never into a window), counts them in the
 * /$/cdc status and in /$/metrics; a client registered over SSE gets a {@code late} event, one
 * over WebSocket a {@code late} message.
 */
class ContinuousQueryLateIT {
    private static final String PREFIXES = "PREFIX ex: <http://example/> PREFIX xsd: <http://www.w3.org/2001/XMLSchema#> ";
    /** Event time from ex:at, ten seconds of allowed lateness: after an event at 50 s, the watermark is at 40 s. */
    private static final String WINDOW = "FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1M STEP PT1M TIME ex:at LATENESS PT10S]";
    private static final String LATE_ASK = "ASK { GRAPH <urn:late:readings> { <http://example/%s> <http://example/value> %d ;"
                                           + " <http://example/at> \"2026-01-01T00:00:%02dZ\"^^<http://www.w3.org/2001/XMLSchema#dateTime> } }";

    @TempDir
    Path work;

    private String config() {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory \"", """
            cdc:continuousQuery [
                    cdc:name "readings" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:readings> AS CONSTRUCT { ex:window ex:readings ?n }
                        %s
                        WHERE { { SELECT (COUNT(*) AS ?n) WHERE { WINDOW <urn:w> { ?o ex:value ?v } } } }\""" ;
                    cdc:outputGraph <urn:view:readings> ;
                    cdc:lateGraph <urn:late:readings>
                ] ;
                cdc:logDirectory \"""".formatted(WINDOW));
    }

    private static void reading(CdcFuseki f, String name, int value, int second) {
        String at = "\"2026-01-01T00:00:%02dZ\"^^xsd:dateTime".formatted(second);
        assertEquals(204, f.update("ds", PREFIXES + "INSERT DATA { ex:" + name + " ex:value " + value + " ; ex:at " + at + " }").statusCode());
    }

    private static boolean ask(CdcFuseki f, String query) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/sparql?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))))
                       .header("Accept", "application/sparql-results+json").GET()).body().contains("true");
    }

    /** The query's entry in the /$/cdc status of dataset ds. */
    private static JsonObject queryStatus(CdcFuseki f, String name) {
        JsonObject ds = JSON.parse(f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc")))).body()).get("datasets").getAsArray().get(0).getAsObject();
        if ( !ds.hasKey("continuousQueries") )
            return null;
        for ( JsonValue q : ds.get("continuousQueries").getAsArray() )
            if ( q.getAsObject().get("name").getAsString().value().equals(name) )
                return q.getAsObject();
        return null;
    }

    private static long lateEvents(CdcFuseki f, String name) {
        JsonObject q = queryStatus(f, name);
        return q == null ? -1 : q.get("lateEvents").getAsNumber().value().longValue();
    }

    /** The commits of the query's late-data graph, in order, from the change feed. */
    private static List<RDFPatch> lateCommits(CdcFuseki f) {
        return f.feed("ds").stream().filter(p -> p.header().get("rsp-late") != null).toList();
    }

    private static double metric(CdcFuseki f, String series) {
        String m = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/metrics")))).body().replace("application=\"fuseki\",", "");
        Matcher v = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(m);
        return v.find() ? Double.parseDouble(v.group(1)) : Double.NaN;
    }

    @Test
    void aConfiguredQueryWritesItsLateEventsToTheLateGraphOnceAcrossARestartAndCountsThem() throws Exception {
        String counter = "fusekicdc_rsp_late_events_total{dataset=\"ds\",query=\"readings\"}";
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> b.enableMetrics(true))) {
            reading(f, "o1", 1, 50);
            reading(f, "o2", 2, 30);            // behind the watermark (40 s): its two quads are late
            TestSupport.await("the late reading in the late-data graph", Duration.ofSeconds(20), () -> ask(f, LATE_ASK.formatted("o2", 2, 30)));
            assertEquals(2, lateEvents(f, "readings"), "both quads of the late reading counted in /$/cdc");
            TestSupport.await("the late events counted in /$/metrics", Duration.ofSeconds(20), () -> metric(f, counter) == 2.0);
            assertEquals(1, lateCommits(f).size(), "one commit for the late events of one commit");
            assertTrue(!ask(f, LATE_ASK.formatted("o1", 1, 50)), "an event on time is not in the late-data graph");
        }
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> b.enableMetrics(true))) {
            // The replay refuses the same two events again; a new late reading after it shows that the replay's were handled.
            reading(f, "o3", 3, 20);
            TestSupport.await("the new late reading in the late-data graph", Duration.ofSeconds(20), () -> ask(f, LATE_ASK.formatted("o3", 3, 20)));
            assertEquals(4, lateEvents(f, "readings"), "the replayed late events and the new ones, and none of the late graph's own commits");
            List<RDFPatch> late = lateCommits(f);
            assertEquals(2, late.size(), "the late events replayed after the restart are not written again: " + late.size() + " late commits");
            assertTrue(ask(f, LATE_ASK.formatted("o2", 2, 30)));
            TestSupport.await("the counter after the restart", Duration.ofSeconds(20), () -> metric(f, counter) == 4.0);
        }
    }

    @Test
    void anSseClientGetsALateEventWithTheQuadsTheirEventTimesAndTheWatermark() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            String query = PREFIXES + "REGISTER RSTREAM <urn:q:n> AS SELECT (COUNT(*) AS ?n) " + WINDOW + " WHERE { WINDOW <urn:w> { ?o ex:value ?v } }";
            try (SseClient c = new SseClient(f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)), Map.of("Accept", "text/event-stream"))) {
                assertEquals(200, c.response.statusCode());
                reading(f, "o1", 1, 50);
                reading(f, "o2", 2, 30);
                long lateVersion = f.dataset("ds").changeLog().publishedVersion();
                SseClient.Event e = c.next();
                while ( "heartbeat".equals(e.event()) )
                    e = c.next();
                SseClient.Event got = e;
                assertEquals("late", got.event(), () -> "no step closes before the late event; got " + got);
                JsonObject late = JSON.parse(e.data());
                assertEquals(lateVersion, late.get("version").getAsNumber().value().longValue(), "the version of the commit that brought them");
                assertEquals("2026-01-01T00:00:40Z", late.get("watermark").getAsString().value());
                assertEquals("urn:w", late.get("window").getAsString().value());
                assertTrue(late.get("query").getAsString().value().startsWith("http-"));
                JsonArray rows = late.get("events").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
                assertEquals(2, rows.size(), "both quads of the late reading: " + rows);
                for ( JsonValue r : rows ) {
                    JsonObject row = r.getAsObject();
                    assertEquals("http://example/o2", row.get("subject").getAsObject().get("value").getAsString().value());
                    assertEquals("2026-01-01T00:00:30Z", row.get("eventTime").getAsObject().get("value").getAsString().value());
                }
            }
        }
    }

    @Test
    void aWebSocketClientGetsALateMessage() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient c = new WsClient(f.url("/ds/live"), Map.of())) {
            String query = PREFIXES + "SELECT (COUNT(*) AS ?n) " + WINDOW + " WHERE { WINDOW <urn:w> { ?o ex:value ?v } }";
            c.send("{\"subscribe\": {\"sparql\": \"" + query.replace("\"", "\\\"") + "\", \"alias\": \"readings\"}}");
            // An event-time window reports nothing before events come, so nothing says when the query is registered:
            // a reading on time and a late one, again until a late message comes.
            JsonObject late = null;
            for ( int i = 0 ; i < 10 && late == null ; i++ ) {
                reading(f, "o" + i, 1, 50);
                reading(f, "late" + i, 2, 30);
                for ( JsonObject m = c.poll(2000) ; m != null && late == null ; m = late == null ? c.poll(500) : null ) {
                    if ( m.hasKey("late") )
                        late = m.get("late").getAsObject();
                }
            }
            assertTrue(late != null, "a late message");
            assertEquals("readings", late.get("alias").getAsString().value());
            assertEquals(late.get("spuid").getAsString().value(), late.get("query").getAsString().value());
            assertEquals("2026-01-01T00:00:40Z", late.get("watermark").getAsString().value());
            JsonArray rows = late.get("events").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
            assertEquals(2, rows.size(), "both quads of the late reading: " + rows);
            assertTrue(rows.get(0).getAsObject().get("subject").getAsObject().get("value").getAsString().value().startsWith("http://example/late"));
        }
    }
}
