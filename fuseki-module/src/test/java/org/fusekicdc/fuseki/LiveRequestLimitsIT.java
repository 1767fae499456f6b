package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

import org.apache.jena.atlas.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests to /ds/live that cannot be served as asked are refused with the reason, and nothing else is disturbed. */
class LiveRequestLimitsIT {
    private static final String Q = "PREFIX : <http://example/> SELECT ?o { :s :p ?o }";

    @TempDir
    Path work;

    private static JsonObject error(JsonObject message) {
        assertTrue(message.hasKey("error"), "an error: " + message);
        return message.get("error").getAsObject();
    }

    @Test
    void deeplyNestedJsonGetsAnErrorNamingTheLimitAndTheConnectionGoesOn() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             WsClient ws = new WsClient(f.url("/ds/live").replace("http", "ws"), Map.of())) {
            ws.send("{\"subscribe\": {\"sparql\": \"" + Q + "\"}}");
            assertTrue(ws.next().hasKey("notification"));
            // 50,000 deep, 100 KB: well under the message size limit.
            ws.send("[".repeat(50_000) + "]".repeat(50_000));
            JsonObject err = error(ws.next());
            assertEquals(400, err.get("status_code").getAsNumber().value().intValue());
            assertEquals("too_deep", err.get("error").getAsString().value());
            assertTrue(err.get("error_description").getAsString().value().contains("64"), err.toString());
            ws.send("{\"subscribe\": {\"sparql\": \"" + Q + "\", \"alias\": \"" + "x".repeat(10) + "\", \"deep\": " + "[".repeat(60) + "]".repeat(60) + "}}");
            assertTrue(ws.next().hasKey("notification"), "nesting within the limit is parsed");
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 1 }").statusCode());
            assertTrue(ws.next().get("notification").getAsObject().hasKey("addedResults"), "the first subscription is still served");
        }
    }

    @Test
    void datasetParametersAreRefusedRatherThanIgnored() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            for ( String p : new String[] {"default-graph-uri", "named-graph-uri"} ) {
                String url = f.url("/ds/live?query=" + URLEncoder.encode(Q, StandardCharsets.UTF_8) + "&" + p + "=http://example/g");
                HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream"));
                assertEquals(400, r.statusCode(), p);
                assertTrue(r.body().contains("'" + p + "'") && r.body().contains("GRAPH"), r.body());
            }
            try (WsClient ws = new WsClient(f.url("/ds/live").replace("http", "ws"), Map.of())) {
                ws.send("{\"subscribe\": {\"sparql\": \"" + Q + "\", \"alias\": \"a\", \"default-graph-uri\": \"http://example/g\"}}");
                JsonObject err = error(ws.next());
                assertEquals(400, err.get("status_code").getAsNumber().value().intValue());
                assertTrue(err.get("error_description").getAsString().value().contains("'default-graph-uri'"), err.toString());
            }
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/live?query="
                + URLEncoder.encode("SELECT * FROM <http://example/g> { ?s ?p ?o }", StandardCharsets.UTF_8)))).header("Accept", "text/event-stream"));
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("FROM"), r.body());
        }
    }
    @Test
    void aClientGetsNoMoreWebSocketsThanItMayHoldSubscriptions() throws Exception {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:liveMaxPerClient 2 ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            String url = f.url("/ds/live").replace("http", "ws");
            WsClient first = new WsClient(url, Map.of());
            try (WsClient second = new WsClient(url, Map.of());
                 WsClient third = new WsClient(url, Map.of())) {
                String refused = third.closed.get(10, TimeUnit.SECONDS);
                assertTrue(refused.startsWith("1008 ") && refused.contains("cdc:liveMaxPerClient"), refused);
                second.send("{\"subscribe\": {\"sparql\": \"" + Q + "\"}}");
                assertTrue(second.next().hasKey("notification"), "the connections within the limit are served");
            }
            first.close();
            // Closed connections give their places back (the server sees the close a moment after the client).
            JsonObject answer = null;
            for ( int attempt = 0 ; attempt < 20 && answer == null ; attempt++ ) {
                try (WsClient again = new WsClient(url, Map.of())) {
                    again.send("{\"subscribe\": {\"sparql\": \"" + Q + "\"}}");
                    answer = again.poll(1000);
                } catch (CompletionException refusedBeforeTheSend) {
                    // Still counted: try again.
                }
            }
            assertTrue(answer != null && answer.hasKey("notification"), "a new connection is admitted once others have closed: " + answer);
        }
    }
}
