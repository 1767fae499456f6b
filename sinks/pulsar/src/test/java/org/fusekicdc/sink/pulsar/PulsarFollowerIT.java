package org.fusekicdc.sink.pulsar;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.topic.TopicReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower replica reads the topic a leader's Pulsar sink writes, through
 * {@code cdc:follow [ a cdc:PulsarTopic ]}: it ends up with the leader's data and versions,
 * large patches (in parts) included, a backlog applied in groups, and after a restart it continues
 * after its own head.
 */
class PulsarFollowerIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final String NS = "http://example/";

    private static PulsarTesting.PrivateBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void useSharedBroker() throws Exception {
        broker = PulsarTesting.sharedBroker();
    }

    private static CapturingDatasetGraph store(Path dir, String dataset) {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), dataset).withFsync(false));
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
    }

    private static void writeLarge(CapturingDatasetGraph dsg, String g, int quads) {
        Node graph = NodeFactory.createURI(NS + g);
        Node p = NodeFactory.createURI(NS + "p");
        Txn.executeWrite(dsg, () -> {
            for ( int k = 0 ; k < quads ; k++ )
                dsg.add(graph, NodeFactory.createURI(NS + g + "/s" + k), p, NodeFactory.createLiteralString("large " + k));
        });
    }

    private Follower follower(CapturingDatasetGraph replica, String topic) {
        Map<String, String> options = Map.of("url", broker.serviceUrl(), "topic", topic, "connectTimeoutSeconds", "5");
        TopicReader reader = new PulsarTopicReaderProvider(name -> null).create("ds", OptionValues.forFollower("ds", options), dir.resolve("reader-work"));
        FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(100), Duration.ofSeconds(1));
        Follower f = new Follower(replica, reader, config, dir.resolve("follower-work"));
        f.start();
        return f;
    }

    @Test
    void aFollowerReadsTheLeadersTopicAndContinuesAfterARestart() throws Exception {
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-follow-");
        Workload workload = new Workload(11, "follow");
        CapturingDatasetGraph leader = store(dir.resolve("leader"), "ds");
        CapturingDatasetGraph replica = store(dir.resolve("replica"), "ds");
        try {
            ChangeLog leaderLog = leader.changeLog();
            Map<String, String> sinkOptions = Map.of("url", broker.serviceUrl(), "topic", topic, "maxMessageBytes", "2048");
            try (SinkRunner runner = new SinkRunner(leaderLog, new PulsarSinkProvider(name -> null).create("ds", new OptionValues("pulsar", sinkOptions),
                                                                                                           dir.resolve("sink-work")),
                                                    SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                for ( int i = 0 ; i < 20 ; i++ )
                    workload.step(leader);
                writeLarge(leader, "big", 200);   // about 16 KB: several parts
                for ( int i = 0 ; i < 10 ; i++ )
                    workload.step(leader);
                long first = leaderLog.publishedVersion();
                // The largest step of the replica's published version: above 1 when versions were applied in groups.
                AtomicLong seen = new AtomicLong(), largestStep = new AtomicLong();
                ChangeLog replicaLog = replica.changeLog();
                Runnable steps = () -> {
                    long v = replicaLog.publishedVersion();
                    largestStep.accumulateAndGet(v - seen.getAndSet(v), Math::max);
                };
                replicaLog.addPublishListener(steps);
                try (Follower f = follower(replica, topic)) {
                    await("follower at version " + first, WAIT, () -> f.status().appliedVersion() == first);
                    assertEquals(FollowerState.FOLLOWING, f.status().state(), String.valueOf(f.status().lastError()));
                    // Idle at the end, it hears from the broker that there is nothing more: it stays following, with no lag.
                    Instant applied = Instant.now();
                    await("the broker confirms the end", WAIT, () -> f.status().lastHeard() != null && f.status().lastHeard().isAfter(applied));
                    assertEquals(FollowerState.FOLLOWING, f.status().state(), String.valueOf(f.status().lastError()));
                    assertEquals(0, f.status().lagMillis());
                }
                replicaLog.removePublishListener(steps);
                assertTrue(largestStep.get() > 1, "a backlog on the topic is applied several versions per store transaction");
                LogReplay.assertSameDataset(leader, replica, "the replica after the first run");

                // The follower restarts at its own head: versions it has are skipped, not applied twice.
                for ( int i = 0 ; i < 15 ; i++ )
                    workload.step(leader);
                long second = leaderLog.publishedVersion();
                try (Follower f = follower(replica, topic)) {
                    await("follower at version " + second, WAIT, () -> f.status().appliedVersion() == second);
                    assertEquals(FollowerState.FOLLOWING, f.status().state(), String.valueOf(f.status().lastError()));
                }
                await("sink caught up", WAIT, () -> runner.status().cursor() == second);
            }
            LogReplay.assertSameDataset(leader, replica, "the replica after the restart");
            assertEquals(leaderLog.publishedVersion(), replica.changeLog().publishedVersion(), "the replica keeps the leader's versions");
            List<PulsarTesting.Stored> stored = PulsarTesting.readTopic(broker.serviceUrl(), topic);
            assertTrue(stored.stream().anyMatch(m -> !"1".equals(m.properties().get("cdc-segments"))), "the large patch went in parts");
            assertTrue(stored.stream().allMatch(m -> "ds".equals(m.key())), "keyed by dataset");
        } finally {
            leader.close();   // closes its log too
            replica.close();
        }
    }
}
