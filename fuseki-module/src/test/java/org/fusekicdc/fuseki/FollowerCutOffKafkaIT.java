package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower whose Kafka broker stops: its status says it is cut off (since when, the broker's
 * address, what to check), its lag grows from when it last heard from the topic although it knows
 * of no newer version, and readiness with a lag bound answers 503 with the reason; once the broker
 * is back it catches up with what the leader committed meanwhile and its lag returns to 0. An
 * in-JVM Kafka cluster of the test's own, stopped and started; a transactional sink, so the end
 * the follower confirms is that of the committed records, past the transactions' markers.
 */
class FollowerCutOffKafkaIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path work;
    private TestBroker kafka;
    private final String topic = "fuseki-cdc-cutoff-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void broker() throws Exception {
        kafka = TestBroker.embedded(null);
    }

    @AfterEach
    void stopBroker() {
        kafka.close();
    }

    private static String config(Path dir, String replication) {
        return CdcFuseki.capturedDataset(dir, "fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name \"update\" ] ;", replication + " ;");
    }

    private String leaderConfig() {
        return config(work.resolve("leader"), "cdc:sink [ a cdc:KafkaSink ; cdc:name \"replicas\" ; cdc:bootstrapServers \"" + kafka.bootstrapServers()
                                              + "\" ; cdc:topic \"" + topic + "\" ; cdc:transactional true ; cdc:retryMaxMillis 500 ]");
    }

    private String followerConfig() {
        return config(work.resolve("follower"), "cdc:follow [ a cdc:KafkaTopic ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \""
                                                + topic + "\" ; cdc:retryInitialMillis 50 ; cdc:retryMaxMillis 500 ]");
    }

    private static long insert(CdcFuseki leader, int i) {
        HttpResponse<String> w = leader.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s" + i + " ex:p " + i + " }");
        assertEquals(204, w.statusCode(), w.body());
        return Long.parseLong(w.headers().firstValue("X-CDC-Version").orElseThrow());
    }

    private static HttpResponse<String> get(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))));
    }

    private static JsonObject followerStatus(CdcFuseki f) {
        return JSON.parse(get(f, "/$/cdc").body()).get("datasets").getAsArray().get(0).getAsObject().get("follower").getAsObject();
    }

    private static FollowerStatus status(CdcFuseki f) {
        return f.runtime("ds").follower().orElseThrow().status();
    }

    /** Whether the follower has heard from its topic after {@code t}, with nothing left to apply: an idle read the broker confirmed. */
    private static boolean heardSince(CdcFuseki f, Instant t) {
        FollowerStatus s = status(f);
        return s.lastHeard() != null && s.lastHeard().isAfter(t) && s.lagVersions() == 0;
    }

    /** A dataset's gauge on {@code /$/metrics}. */
    private static double gauge(CdcFuseki f, String name) {
        String metrics = get(f, "/$/metrics").body();
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*dataset=\"ds\"[^}]*\\} (\\S+)$").matcher(metrics);
        assertTrue(m.find(), () -> "no " + name + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    @Test
    void aFollowerCutOffFromItsBrokerSaysSoItsLagGrowsAndLagBoundedReadsAreRefusedUntilItIsBackAndCaughtUp() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki follower = CdcFuseki.start(work.resolve("follower"), followerConfig(), b -> b.enableMetrics(true))) {
            long v = insert(leader, 1);
            TestSupport.await("the follower applies version " + v, WAIT, () -> status(follower).appliedVersion() == v);
            Instant applied = Instant.now();
            TestSupport.await("the broker confirms the follower is at the end", WAIT, () -> heardSince(follower, applied));
            TestSupport.await("the follower is ready with no lag allowed", WAIT,
                              () -> get(follower, "/$/cdc/ds/ready?maxLagVersions=0&maxLagMillis=0").statusCode() == 200);
            JsonObject following = followerStatus(follower);
            assertEquals("following", following.get("state").getAsString().value(), following.toString());
            assertEquals(0, following.get("lagMillis").getAsNumber().value().longValue(), following.toString());
            assertTrue(following.hasKey("lastHeard") && !following.hasKey("unreachableSince"), following.toString());
            assertEquals(0.0, gauge(follower, "fusekicdc_follower_unreachable"));

            kafka.stopBroker();
            Instant stopped = Instant.now();
            // The leader goes on committing; nothing reaches the follower.
            long behind = insert(leader, 2);
            TestSupport.await("the follower says it is cut off", WAIT, () -> status(follower).state() == FollowerState.UNREACHABLE);
            JsonObject cut = followerStatus(follower);
            assertEquals("unreachable", cut.get("state").getAsString().value(), cut.toString());
            String error = cut.get("lastError").getAsString().value();
            assertTrue(error.contains(kafka.bootstrapServers()) && error.contains(topic) && error.contains("Check that the broker is running"), error);
            Instant since = Instant.parse(cut.get("unreachableSince").getAsString().value());
            assertTrue(!since.isAfter(stopped), "cut off since it last heard, before the broker stopped: " + since + " vs " + stopped);
            long lag = cut.get("lagMillis").getAsNumber().value().longValue();
            assertTrue(lag >= Duration.between(since, Instant.now()).toMillis() - 1_000 && lag > 0, "lag " + lag + " since " + since);
            TestSupport.await("the lag grows", WAIT, () -> status(follower).lagMillis() >= lag + 2_000);
            assertEquals(1.0, gauge(follower, "fusekicdc_follower_unreachable"));
            assertTrue(gauge(follower, "fusekicdc_follower_lag_seconds") >= (lag + 2_000) / 1000.0);

            HttpResponse<String> ready = get(follower, "/$/cdc/ds/ready?maxLagMillis=60000");
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("\"state\":\"UNREACHABLE\"") && ready.body().contains("\"reason\":\"cut off from Kafka topic " + topic),
                       ready.body());
            HttpResponse<String> read = follower.send(HttpRequest.newBuilder(URI.create(follower.url("/ds?query=ASK%7B%3Fs%3Fp%3Fo%7D&maxWait=200")))
                                                              .header("X-CDC-Min-Version", Long.toString(behind)));
            assertEquals(503, read.statusCode(), read.body());
            assertTrue(read.body().contains("\"reason\":\"cut off from"), read.body());

            kafka.startBroker();
            long last = insert(leader, 3);
            TestSupport.await("the follower catches up with version " + last, WAIT, () -> status(follower).appliedVersion() == last);
            Instant caughtUp = Instant.now();
            TestSupport.await("the broker confirms the follower is at the end again", WAIT, () -> heardSince(follower, caughtUp));
            TestSupport.await("the follower is following with no lag", WAIT,
                              () -> status(follower).state() == FollowerState.FOLLOWING && status(follower).lagMillis() == 0);
            JsonObject back = followerStatus(follower);
            assertEquals("following", back.get("state").getAsString().value(), back.toString());
            assertTrue(!back.hasKey("unreachableSince"), back.toString());
            HttpResponse<String> readyAgain = get(follower, "/$/cdc/ds/ready?maxLagVersions=0&maxLagMillis=0");
            assertEquals(200, readyAgain.statusCode(), readyAgain.body());
        }
    }
}
