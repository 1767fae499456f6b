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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.sparql.expr.NodeValue;
import org.apache.jena.sparql.function.FunctionBase0;
import org.apache.jena.sparql.function.FunctionRegistry;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Continuous queries served by a real Fuseki, at their limits: a costly query beside a cheap
 * one (the cheap one's steps keep following the commits while the costly one is still busy with
 * an earlier step, and the costly one's steps all come, in order, once it gets through), a costly
 * query that falls too far behind, and windows over {@code cdc:maxWindowQuads} (refused at
 * registration when the recent stream already overfills them, a clear error when one grows
 * past it at run time).
 * <p>
 * The costly query is made costly on purpose, and deterministically, by {@link Gate}: a SPARQL
 * function that takes 300 ms on the dataset's shared feeder thread (over
 * {@code cdc:streamCostlyStepMillis} 100), and on any other thread waits until the test opens
 * the gate; so the test knows which steps the costly query can have made.
 */
class ContinuousQueryIsolationIT {
    private static final String PREFIXES = "PREFIX ex: <http://example/> ";
    private static final String ADDED = "<https://w3id.org/fuseki-cdc#added>";
    private static final String GATE = "urn:fuseki-cdc:test:gate";

    @TempDir
    Path work;

    /** Slow on the shared feeder thread of dataset ds; elsewhere waits for the test to open it. */
    public static final class Gate extends FunctionBase0 {
        static volatile CountDownLatch open = new CountDownLatch(1);

        @Override
        public NodeValue exec() {
            if ( Thread.currentThread().getName().equals("cdc-rsp-ds") ) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
            } else {
                try {
                    open.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return NodeValue.TRUE;
        }
    }

    @BeforeEach
    void closeTheGate() {
        Gate.open = new CountDownLatch(1);
        FunctionRegistry.get().put(GATE, Gate.class);
    }

    @AfterEach
    void openTheGate() {
        Gate.open.countDown();
        FunctionRegistry.get().remove(GATE);
    }

    /** A server with the quick start's dataset and {@code options}; heartbeats every second, so that a client's SSE response starts at once. */
    private CdcFuseki start(String options) {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:liveHeartbeatSeconds 1 ; " + options
                                                                                                       + "\n    cdc:logDirectory");
        return CdcFuseki.start(work, config, b -> {});
    }

    private static String live(CdcFuseki f, String query) {
        return f.url("/ds/live?query=" + URLEncoder.encode(PREFIXES + query, StandardCharsets.UTF_8));
    }

    private static long update(CdcFuseki f, String update) {
        assertEquals(204, f.update("ds", PREFIXES + update).statusCode());
        return f.dataset("ds").changeLog().publishedVersion();
    }

    /** A count window's step: its number is the version of the commit behind it; n the events in the window. */
    private static void assertStep(SseClient.Event e, long version, int n) {
        assertEquals("step", e.event(), () -> "event " + e);
        JsonObject step = JSON.parse(e.data());
        assertEquals(version, step.get("step").getAsNumber().value().longValue(), () -> "step " + step);
        assertEquals(String.valueOf(n), step.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray().get(0)
                                            .getAsObject().get("n").getAsObject().get("value").getAsString().value(), () -> "step " + step);
    }

    private static final String CHEAP = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED + " [ROWS 10] WHERE { WINDOW <urn:w> { ?e ex:v ?v } }";
    private static final String COSTLY = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED + " [ROWS 10]"
                                         + " WHERE { WINDOW <urn:w> { ?e ex:v ?v } FILTER (<" + GATE + ">()) }";

    @Test
    void aCostlyQueryNeverHoldsBackTheStepsOfACheapOneAndStillMakesAllItsOwn() throws Exception {
        try (CdcFuseki f = start("cdc:streamCostlyStepMillis 100 ;")) {
            // The costly query registered first: were both on one thread, each cheap step would wait for the costly one.
            try (SseClient costly = new SseClient(live(f, COSTLY), Map.of()); SseClient cheap = new SseClient(live(f, CHEAP), Map.of())) {
                assertEquals(200, costly.response.statusCode());
                assertEquals(200, cheap.response.statusCode());
                long first = update(f, "INSERT DATA { ex:e1 ex:v 1 }");
                assertStep(cheap.next(), first, 1);
                assertStep(costly.next(), first, 1);
                TestSupport.await("the costly query on a thread of its own", Duration.ofSeconds(10),
                                  () -> !f.runtime("ds").continuousQueries().isolatedQueries().isEmpty());
                // The costly query is now stuck in its step for the second commit; the cheap one follows every commit.
                List<Long> versions = new ArrayList<>(List.of(first));
                for ( int i = 2 ; i <= 6 ; i++ ) {
                    long v = update(f, "INSERT DATA { ex:e" + i + " ex:v " + i + " }");
                    versions.add(v);
                    assertStep(cheap.next(), v, i);
                }
                SseClient.Event early;
                while ( (early = costly.poll(0)) != null )
                    assertEquals("heartbeat", early.event(), "the costly query has made no step past the first while the cheap one made five");
                Gate.open.countDown();
                for ( int i = 2 ; i <= 6 ; i++ )
                    assertStep(costly.next(), versions.get(i - 1), i);
            }
        }
    }

    /**
     * A configured query that is costly moves to a thread of its own and writes its view from there;
     * across a restart (where it replays the log on the shared thread, is costly again, and moves
     * again) every step reaches the view once, in order.
     */
    @Test
    void aCostlyConfiguredQueryWritesEveryStepOnceAcrossARestart() throws Exception {
        Gate.open.countDown();
        String options = """
            cdc:streamCostlyStepMillis 100 ;
                cdc:continuousQuery [
                    cdc:name "costly" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:costly> AS CONSTRUCT { ex:window ex:n ?n }
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [ROWS 10]
                        WHERE { { SELECT (COUNT(*) AS ?n) WHERE { WINDOW <urn:w> { ?e ex:v ?v } FILTER (<%s>()) } } }\""" ;
                    cdc:outputGraph <urn:view:costly>
                ] ;""".formatted(GATE);
        List<Long> commits = new ArrayList<>();
        try (CdcFuseki f = start(options)) {
            for ( int i = 1 ; i <= 3 ; i++ )
                commits.add(update(f, "INSERT DATA { ex:e" + i + " ex:v " + i + " }"));
            TestSupport.await("the costly query on a thread of its own", Duration.ofSeconds(10),
                              () -> f.runtime("ds").continuousQueries().isolatedQueries().contains("costly"));
            awaitView(f, 3);
        }
        try (CdcFuseki f = start(options)) {
            for ( int i = 4 ; i <= 5 ; i++ )
                commits.add(update(f, "INSERT DATA { ex:e" + i + " ex:v " + i + " }"));
            awaitView(f, 5);
            TestSupport.await("the costly query on a thread of its own again", Duration.ofSeconds(10),
                              () -> f.runtime("ds").continuousQueries().isolatedQueries().contains("costly"));
            List<Long> steps = ViewCommits.added(f, "ds", ViewCommits.LAST_STEP);
            List<Long> counts = ViewCommits.added(f, "ds", "http://example/n");
            assertEquals(commits, steps, "one view commit per step (a count window's step is its commit's version), none doubled or skipped");
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), counts);
        }
    }

    private static void awaitView(CdcFuseki f, int n) throws InterruptedException {
        String ask = "ASK { GRAPH <urn:view:costly> { <http://example/window> <http://example/n> " + n + " } }";
        TestSupport.await("the view holding n = " + n, Duration.ofSeconds(30),
                          () -> f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/sparql?query=" + URLEncoder.encode(ask, StandardCharsets.UTF_8))))
                                         .header("Accept", "application/sparql-results+json").GET()).body().contains("true"));
    }

    @Test
    void aCostlyQueryTooFarBehindTheLogIsStoppedNamingTheBound() throws Exception {
        try (CdcFuseki f = start("cdc:streamCostlyStepMillis 100 ; cdc:streamMaxLagVersions 3 ;")) {
            try (SseClient costly = new SseClient(live(f, COSTLY), Map.of())) {
                long first = update(f, "INSERT DATA { ex:e1 ex:v 1 }");
                assertStep(costly.next(), first, 1);
                // Stuck in its second step while five more commits arrive: 5 versions behind once it gets through.
                for ( int i = 2 ; i <= 7 ; i++ )
                    update(f, "INSERT DATA { ex:e" + i + " ex:v " + i + " }");
                Gate.open.countDown();
                SseClient.Event next = costly.next();
                SseClient.Event e = next.event().equals("step") ? costly.next() : next;
                assertEquals("error", e.event(), () -> "event " + e);
                assertTrue(e.data().contains("cdc:streamMaxLagVersions") && e.data().contains("versions behind"), e.data());
            }
        }
    }

    @Test
    void aWindowOverItsBudgetIsRefusedAtRegistrationOrStopsItsQueryWithTheOptionNamed() throws Exception {
        try (CdcFuseki f = start("cdc:maxWindowQuads 5 ;")) {
            update(f, "INSERT DATA { ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:p 3 . ex:d ex:p 4 . ex:e ex:p 5 . ex:f ex:p 6 }");
            String hour = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON " + ADDED + " [RANGE PT1H STEP PT1S] WHERE { WINDOW <urn:w> { ?s ex:p ?o } }";
            HttpResponse<String> refused = f.send(HttpRequest.newBuilder(URI.create(live(f, hour))).header("Accept", "text/event-stream").GET());
            assertEquals(400, refused.statusCode());
            assertTrue(refused.body().contains("[RANGE PT1H]") && refused.body().contains("cdc:maxWindowQuads"), refused.body());
            // The same window over a predicate the recent stream does not have is taken, and fails once it grows past the budget.
            try (SseClient c = new SseClient(live(f, hour.replace("ex:p", "ex:q")), Map.of())) {
                assertEquals(200, c.response.statusCode());
                update(f, "INSERT DATA { ex:a ex:q 1 . ex:b ex:q 2 . ex:c ex:q 3 . ex:d ex:q 4 . ex:e ex:q 5 . ex:f ex:q 6 }");
                SseClient.Event e;
                do {
                    e = c.next();
                } while ( e.event().equals("step") );
                SseClient.Event error = e;
                assertEquals("error", error.event(), () -> "event " + error);
                assertTrue(error.data().contains("holds more than 5 quad events") && error.data().contains("cdc:maxWindowQuads"), error.data());
            }
        }
    }
}
