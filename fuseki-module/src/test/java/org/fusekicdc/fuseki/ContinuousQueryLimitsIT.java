package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.fuseki.auth.Auth;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous queries registered over HTTP are held to the dataset's limits and the endpoint's
 * authentication: {@code cdc:streamMaxQueries} (configured and HTTP queries together) and
 * {@code cdc:liveMaxSubscriptions} answer 503 and give the place back when a query ends;
 * {@code fuseki:allowedUsers} on the service answers 401 and 403 as for any request.
 */
class ContinuousQueryLimitsIT {
    private static final String WINDOWED = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added>"
                                           + " [RANGE PT1S] WHERE { WINDOW <urn:w> { ?s ?p ?o } }";

    @TempDir
    Path work;

    private static String live(CdcFuseki f) {
        return f.url("/ds/live?query=" + URLEncoder.encode(WINDOWED, StandardCharsets.UTF_8));
    }

    /** A registration's status, headers and body; the body of an accepted one (an endless event stream) is not read. */
    private record Answer(int statusCode, HttpHeaders headers, String body) {}

    private static Answer register(CdcFuseki f, String authorization) throws Exception {
        return request(live(f), authorization);
    }

    private static Answer request(String url, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream");
        if ( authorization != null )
            b.header("Authorization", authorization);
        HttpResponse<InputStream> r = HttpClient.newHttpClient().sendAsync(b.build(), HttpResponse.BodyHandlers.ofInputStream()).get(30, TimeUnit.SECONDS);
        try (InputStream body = r.body()) {
            return new Answer(r.statusCode(), r.headers(), r.statusCode() == 200 ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    /** The quick start with {@code options} on the captured dataset. */
    private String quickstart(String options) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", options + " ;\n    cdc:logDirectory");
    }

    private static void assertRefused(Answer r, String option) {
        assertEquals(503, r.statusCode(), r.body());
        assertTrue(r.body().contains(option), r.body());
        assertEquals("30", r.headers().firstValue("Retry-After").orElse(null), "a client is told when to try again");
    }

    private static void awaitRegistrations(CdcFuseki f, int n) throws InterruptedException {
        TestSupport.await(n + " continuous queries registered over HTTP", Duration.ofSeconds(10),
                          () -> f.runtime("ds").continuousQueries().subscriptionCount() == n);
    }

    @Test
    void theDatasetRunsAtMostStreamMaxQueriesConfiguredAndHttpOnesTogether() throws Exception {
        String configured = """
            cdc:streamMaxQueries 2 ;
                cdc:continuousQuery [
                    cdc:name "count" ;
                    cdc:query \"""REGISTER RSTREAM <urn:q:count> AS CONSTRUCT { <urn:window> <urn:added> ?n }
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S]
                        WHERE { { SELECT (COUNT(*) AS ?n) WHERE { WINDOW <urn:w> { ?s ?p ?o } } } }\""" ;
                    cdc:outputGraph <urn:view:count>
                ]""";
        try (CdcFuseki f = CdcFuseki.start(work, quickstart(configured), b -> {})) {
            try (SseClient first = new SseClient(live(f), Map.of())) {
                assertEquals(200, first.response.statusCode(), "the configured query and this one make two");
                assertRefused(register(f, null), "cdc:streamMaxQueries");
                assertEquals(1, f.runtime("ds").continuousQueries().subscriptionCount(), "the refused query was not registered");
            }
            awaitRegistrations(f, 0);
            try (SseClient again = new SseClient(live(f), Map.of())) {
                assertEquals(200, again.response.statusCode(), "the closed query gave its place back");
            }
        }
    }

    @Test
    void windowedQueriesHoldAPlaceAgainstLiveMaxSubscriptions() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, quickstart("cdc:liveMaxSubscriptions 1"), b -> {})) {
            try (SseClient first = new SseClient(live(f), Map.of())) {
                assertEquals(200, first.response.statusCode());
                assertRefused(register(f, null), "cdc:liveMaxSubscriptions");
                Answer live = request(f.url("/ds/live?query=" + URLEncoder.encode("SELECT * { ?s ?p ?o }", StandardCharsets.UTF_8)), null);
                assertEquals(503, live.statusCode(), "a live query finds the one place taken by the continuous query: " + live.body());
            }
            awaitRegistrations(f, 0);
            try (SseClient again = new SseClient(live(f), Map.of())) {
                assertEquals(200, again.response.statusCode(), "the closed query gave its place back");
            }
        }
    }

    @Test
    void continuousQueriesNeedTheServicesAllowedUsers() throws Exception {
        Path passwd = CdcFuseki.passwordFile("alice: alice-pw\nbob: bob-pw\n");
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("fuseki:name \"ds\" ;", "fuseki:name \"ds\" ; fuseki:allowedUsers \"alice\" ;");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> b.passwordFile(passwd.toString()).auth(AuthScheme.BASIC).serverAuthPolicy(Auth.ANY_USER))) {
            assertEquals(401, register(f, null).statusCode());
            assertEquals(403, register(f, basic("bob")).statusCode(), "bob is not among the service's allowed users");
            assertEquals(0, f.runtime("ds").continuousQueries().subscriptionCount(), "no refused query was registered");
            try (SseClient alice = new SseClient(live(f), Map.of("Authorization", basic("alice")))) {
                assertEquals(200, alice.response.statusCode());
                SseClient.Event step = alice.next();
                assertEquals("step", step.event(), step::toString);
                assertTrue(JSON.parse(step.data()).hasKey("windowEnd"), step.data());
            }
        }
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8));
    }
}
