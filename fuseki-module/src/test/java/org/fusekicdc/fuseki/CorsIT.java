package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CORS on fuseki-cdc's endpoints follows cdc:allowedOrigins, not Fuseki's filter (which names
 * any origin and allows credentials): a listed origin gets its name and credentials, another
 * gets no CORS header, preflights are answered accordingly.
 */
class CorsIT {
    private static final String LISTED = "https://app.example.org";
    private static final String OTHER = "https://evil.example";
    private static final String ACAO = "Access-Control-Allow-Origin";
    private static final String ACAC = "Access-Control-Allow-Credentials";

    @TempDir
    Path work;

    private CdcFuseki start(String origins) {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work);
        if ( origins != null )
            config = config.replace("cdc:logDirectory", "cdc:allowedOrigins \"" + origins + "\" ;\n    cdc:logDirectory");
        // Fuseki's CORS filter on, as the fuseki-server command has it by default.
        return CdcFuseki.start(work, config, b -> b.enableCors(true, null));
    }

    private static HttpResponse<String> get(CdcFuseki f, String path, String origin) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))).header("Origin", origin));
    }

    private static HttpResponse<String> preflight(CdcFuseki f, String path, String origin) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))).header("Origin", origin).header("Access-Control-Request-Method", "GET")
                                 .header("Access-Control-Request-Headers", "authorization, last-event-id")
                                 .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
    }

    private static void assertNoCors(HttpHeaders h, String what) {
        assertEquals(Optional.empty(), h.firstValue(ACAO), what);
        assertEquals(Optional.empty(), h.firstValue(ACAC), what);
    }

    private static void assertListed(HttpHeaders h, String what) {
        assertEquals(Optional.of(LISTED), h.firstValue(ACAO), what);
        assertEquals(Optional.of("true"), h.firstValue(ACAC), what);
    }

    @Test
    void onlyAListedOriginGetsCorsHeadersWithCredentials() throws Exception {
        try (CdcFuseki f = start(LISTED)) {
            f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 1 }");
            // Fuseki's own filter, on its own endpoints, names any origin: ours must not.
            assertEquals(Optional.of(OTHER), get(f, "/ds/sparql?query=" + URLEncoder.encode("ASK {}", StandardCharsets.UTF_8), OTHER)
                                                 .headers().firstValue(ACAO), "Fuseki's filter, left alone on Fuseki's endpoints");
            for ( String path : new String[] {"/ds/changes?after=0", "/$/cdc", "/$/cdc/ds/subscriptions", "/$/cdc/ds/snapshot", "/$/cdc/dashboard"} ) {
                HttpResponse<String> listed = get(f, path, LISTED);
                assertEquals(200, listed.statusCode(), path + ": " + listed.body());
                assertListed(listed.headers(), path);
                assertNoCors(get(f, path, OTHER).headers(), path);
            }
            String live = f.url("/ds/live?query=" + URLEncoder.encode("SELECT * { ?s ?p ?o }", StandardCharsets.UTF_8));
            try (SseClient c = new SseClient(live, Map.of("Origin", LISTED))) {
                assertListed(c.response.headers(), "live SSE");
            }
            try (SseClient c = new SseClient(live, Map.of("Origin", OTHER))) {
                assertNoCors(c.response.headers(), "live SSE");
            }
            try (SseClient c = new SseClient(f.url("/ds/changes?after=0"), Map.of("Origin", OTHER))) {
                assertNoCors(c.response.headers(), "change feed SSE");
            }
        }
    }

    @Test
    void preflightsAreAnsweredFromTheAllowList() {
        try (CdcFuseki f = start(LISTED)) {
            HttpResponse<String> ok = preflight(f, "/ds/changes", LISTED);
            assertEquals(204, ok.statusCode(), ok.body());
            assertListed(ok.headers(), "preflight");
            assertTrue(ok.headers().firstValue("Access-Control-Allow-Methods").orElse("").contains("GET"));
            assertTrue(ok.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Last-Event-ID"));

            HttpResponse<String> refused = preflight(f, "/$/cdc/ds/snapshot", OTHER);
            assertEquals(403, refused.statusCode());
            assertNoCors(refused.headers(), "refused preflight");
            assertTrue(refused.body().contains("cdc:allowedOrigins"), refused.body());
        }
    }

    @Test
    void withoutTheOptionNoOriginGetsCorsAndAStarNeverGetsCredentials() {
        try (CdcFuseki f = start(null)) {
            assertNoCors(get(f, "/ds/changes?after=0", LISTED).headers(), "no cdc:allowedOrigins");
            assertEquals(403, preflight(f, "/ds/changes", LISTED).statusCode());
        }
        try (CdcFuseki f = start("*")) {
            HttpHeaders h = get(f, "/ds/changes?after=0", OTHER).headers();
            assertEquals(Optional.of("*"), h.firstValue(ACAO));
            assertEquals(Optional.empty(), h.firstValue(ACAC), "credentials only for an origin listed by name");
        }
    }
}
