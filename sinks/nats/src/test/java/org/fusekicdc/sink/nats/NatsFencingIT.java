package org.fusekicdc.sink.nats;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.fusekicdc.sink.nats.NatsTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import io.nats.client.Connection;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.follow.PromotionRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover on JetStream, with two servers' logs and sink runners on one subject: a promoted
 * follower publishes, and the old leader, still running or restarted, is fenced (its publish is
 * refused by the stream, and its sink finds another patch where its log holds its own) without
 * a message of its stored after the new leader's.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsFencingIT {
    private static final SinkConfig TOPIC_ACK = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(5));

    @TempDir
    Path work;

    private Connection nc;
    private String stream;
    private final String subject = unique("fuseki-cdc.fencing.");
    private final NatsSinkProvider provider = new NatsSinkProvider();

    @BeforeEach
    void connect() throws Exception {
        NatsTesting.requireServer();
        nc = NatsTesting.connect(URL);
        stream = unique("FUSEKI_CDC_IT_");
    }

    @AfterEach
    void cleanUp() throws Exception {
        if ( nc == null )
            return;
        NatsTesting.deleteStream(nc, stream);
        nc.close();
    }

    @Test
    void anOldLeaderStillRunningIsFencedAtItsFirstPublishAfterTheNewLeaders() throws Exception {
        try (ChangeLog oldLog = log("old"); ChangeLog newLog = log("new")) {
            CapturingDatasetGraph oldLeader = captured(oldLog, "old");
            CapturingDatasetGraph promoted = captured(newLog, "new");
            AtomicReference<String> oldFenced = new AtomicReference<>();
            try (SinkRunner oldRunner = runner(oldLog, "old")) {
                oldRunner.onFenced(oldFenced::set);
                oldRunner.start();
                for ( int i = 1 ; i <= 3 ; i++ )
                    write(oldLeader, "s" + i);
                await("the old leader publishes versions 1-3", Duration.ofSeconds(30), () -> oldRunner.status().cursor() == 3);
                follow(oldLog, newLog, promoted);

                // Promotion: the follower's dormant sink starts, and it writes.
                try (SinkRunner newRunner = runner(newLog, "new")) {
                    newRunner.start();
                    write(promoted, "new4");
                    await("the new leader publishes version 4", Duration.ofSeconds(30), () -> newRunner.status().cursor() == 4);

                    // The old leader, cut off from the load balancer but alive, commits one more write.
                    write(oldLeader, "old4");
                    await("the old leader is fenced", Duration.ofSeconds(30), () -> oldFenced.get() != null);
                    assertTrue(oldFenced.get().contains(newLog.idOf(4).toString()), oldFenced.get());
                    assertEquals(SinkState.PAUSED, oldRunner.status().state());

                    write(promoted, "new5");
                    await("the new leader goes on", Duration.ofSeconds(30), () -> newRunner.status().cursor() == 5);
                }
            }
            assertSubjectHolds(newLog, 5);
        }
    }

    @Test
    void anOldLeaderRestartedAfterThePromotionIsFencedWithoutPublishing() throws Exception {
        try (ChangeLog oldLog = log("old"); ChangeLog newLog = log("new")) {
            CapturingDatasetGraph oldLeader = captured(oldLog, "old");
            CapturingDatasetGraph promoted = captured(newLog, "new");
            publishTwoAndFollow(oldLog, oldLeader, newLog, promoted);
            // The old leader's last writes never reached the subject (it died); its log reaches further than the new leader's.
            write(oldLeader, "old3");
            write(oldLeader, "old4");
            write(oldLeader, "old5");
            try (SinkRunner newRunner = runner(newLog, "new")) {
                newRunner.start();
                write(promoted, "new3");
                await("the new leader publishes version 3", Duration.ofSeconds(30), () -> newRunner.status().cursor() == 3);
            }
            AtomicReference<String> oldFenced = new AtomicReference<>();
            try (SinkRunner restarted = runner(oldLog, "old")) {
                restarted.onFenced(oldFenced::set);
                restarted.start();
                await("the restarted old leader is fenced", Duration.ofSeconds(30), () -> oldFenced.get() != null);
                assertTrue(oldFenced.get().contains("version 3"), oldFenced.get());
            }
            assertSubjectHolds(newLog, 3);
        }
    }

    @Test
    void anOldLeaderRestartedRightAfterThePromotionBeforeAnyNewWriteIsFenced() throws Exception {
        try (ChangeLog oldLog = log("old"); ChangeLog newLog = log("new")) {
            CapturingDatasetGraph oldLeader = captured(oldLog, "old");
            CapturingDatasetGraph promoted = captured(newLog, "new");
            publishTwoAndFollow(oldLog, oldLeader, newLog, promoted);
            // Promotion: the promotion record, published by the sink that starts with it; no write yet.
            long promotion = PromotionRecord.commit(promoted).version();
            assertEquals(3, promotion);
            try (SinkRunner newRunner = runner(newLog, "new")) {
                newRunner.start();
                await("the new leader publishes its promotion record", Duration.ofSeconds(30), () -> newRunner.status().cursor() == 3);
            }
            // The old leader comes back with its old configuration: the subject no longer ends with its own last patch.
            AtomicReference<String> oldFenced = new AtomicReference<>();
            try (SinkRunner restarted = runner(oldLog, "old")) {
                restarted.onFenced(oldFenced::set);
                restarted.start();
                await("the restarted old leader is fenced", Duration.ofSeconds(30), () -> oldFenced.get() != null);
                assertTrue(oldFenced.get().contains("version 3"), oldFenced.get());
                write(oldLeader, "zombie");
                assertEquals(SinkState.PAUSED, restarted.status().state());
                assertEquals(2, restarted.status().cursor(), "the old leader published nothing after the promotion");
            }
            assertSubjectHolds(newLog, 3);
            String third = new String(readSubject(nc, stream, subject).get(2).data(), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(third.contains("H promoted \"true\"") && !third.contains("\nA "), "version 3 is the empty promotion record: " + third);
        }
    }

    /** The old leader writes and publishes versions 1-2, then stops its sink; the follower applies them. */
    private void publishTwoAndFollow(ChangeLog oldLog, CapturingDatasetGraph oldLeader, ChangeLog newLog, CapturingDatasetGraph promoted)
        throws InterruptedException {
        try (SinkRunner oldRunner = runner(oldLog, "old")) {
            oldRunner.start();
            write(oldLeader, "s1");
            write(oldLeader, "s2");
            await("the old leader publishes versions 1-2", Duration.ofSeconds(30), () -> oldRunner.status().cursor() == 2);
        }
        follow(oldLog, newLog, promoted);
    }

    /** The subject holds exactly the new leader's history, versions 1..last, once each. */
    private void assertSubjectHolds(ChangeLog newLog, long last) throws Exception {
        List<NatsTesting.Stored> messages = readSubject(nc, stream, subject);
        assertEquals(last, messages.size(), "one message per version: " + messages.stream().map(NatsTesting.Stored::headers).toList());
        for ( int i = 0 ; i < messages.size() ; i++ ) {
            Map<String, String> h = messages.get(i).headers();
            assertEquals(String.valueOf(i + 1), h.get(PatchMessages.VERSION));
            assertEquals(newLog.idOf(i + 1).toString(), h.get(PatchMessages.ID), "version " + (i + 1) + " is the new leader's patch");
        }
    }

    /** The follower applies every version of the leader's log so far, keeping each patch's id. */
    private static void follow(ChangeLog leaderLog, ChangeLog followerLog, CapturingDatasetGraph follower) {
        LogReplay.follow(leaderLog, follower);
        assertEquals(leaderLog.headVersion(), followerLog.headVersion());
    }

    private static void write(CapturingDatasetGraph dsg, String subjectName) {
        Quad q = Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/" + subjectName), NodeFactory.createURI("http://example/p"),
                             NodeFactory.createLiteralString(subjectName));
        Txn.executeWrite(dsg, () -> dsg.add(q));
    }

    private SinkRunner runner(ChangeLog log, String server) {
        Sink sink = provider.create("ds", options("replicas", "url", URL, "stream", stream, "subject", subject), work.resolve(server + "-sink"));
        return new SinkRunner(log, sink, TOPIC_ACK);
    }

    private CapturingDatasetGraph captured(ChangeLog log, String server) {
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve(server + "-spill")));
    }

    private ChangeLog log(String server) {
        return ChangeLog.open(ChangeLogConfig.defaults(work.resolve(server + "-log"), "ds").withFsync(false));
    }
}
