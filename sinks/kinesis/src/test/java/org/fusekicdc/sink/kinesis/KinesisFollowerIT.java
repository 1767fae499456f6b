package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

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
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReaderProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower replica reads the stream a leader's Kinesis sink writes, through the reader the
 * server finds by its type ({@code cdc:follow [ a cdc:KinesisStream ]}), and ends up with the
 * leader's data and history: split patches put back together, a restarted follower going on
 * after its own head.
 */
class KinesisFollowerIT {
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final Node P = NodeFactory.createURI("http://example/p");

    private static LocalKinesis kinesis;

    @TempDir
    Path dir;

    @BeforeAll
    static void useSharedKinesis() throws Exception {
        kinesis = LocalKinesis.shared();
    }

    private static TopicReaderProvider readerProvider() {
        return ServiceLoader.load(TopicReaderProvider.class).stream().map(ServiceLoader.Provider::get)
                            .filter(p -> p.type().equals(KinesisStreamReaderProvider.TYPE)).findFirst().orElseThrow();
    }

    @Test
    void aFollowerReadsTheLeadersStreamAndResumesAfterItsOwnHead() throws Exception {
        String stream = LocalKinesis.uniqueStream("follow");
        Map<String, String> options = kinesis.options(stream);
        options.put("maxRecordBytes", "4096");
        ChangeLog leaderLog = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("leader-log"), "ds").withFsync(false));
        CapturingDatasetGraph leader = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), leaderLog, CaptureConfig.defaults(dir.resolve("leader-spill")));
        ChangeLog replicaLog = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("replica-log"), "replica").withFsync(false));
        CapturingDatasetGraph replica = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), replicaLog, CaptureConfig.defaults(dir.resolve("replica-spill")));
        KinesisSink sink = new KinesisSink(KinesisSinkConfig.from("ds", new OptionValues("kinesis", options), System::getenv), dir.resolve("sink-work"));
        Workload workload = new Workload(11, "follow");
        try (SinkRunner runner = new SinkRunner(leaderLog, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
            runner.start();
            for ( int i = 0 ; i < 20 ; i++ )
                workload.step(leader);
            writeLarge(leader, "big", 300);   // about 24 KB: several records
            for ( int i = 0 ; i < 10 ; i++ )
                workload.step(leader);
            TestSupport.await("leader's sink caught up", WAIT, () -> runner.status().cursor() == leaderLog.publishedVersion());
            assertEquals(SinkState.RUNNING, runner.status().state());

            FollowerConfig fc = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(100), Duration.ofSeconds(1));
            try (Follower follower = new Follower(replica, reader(options), fc, dir.resolve("follower-work"))) {
                follower.start();
                TestSupport.await("follower at the leader's version", WAIT, () -> replicaLog.headVersion() == leaderLog.publishedVersion());
                assertEquals(FollowerState.FOLLOWING, follower.status().state(), String.valueOf(follower.status().lastError()));
            }
            LogReplay.assertSameDataset(leader, replica, "follower after the first run");

            // More on the leader while the follower is stopped; a new follower goes on after its head.
            for ( int i = 0 ; i < 15 ; i++ )
                workload.step(leader);
            TestSupport.await("leader's sink caught up", WAIT, () -> runner.status().cursor() == leaderLog.publishedVersion());
            try (Follower follower = new Follower(replica, reader(options), fc, dir.resolve("follower-work"))) {
                follower.start();
                TestSupport.await("follower at the leader's version again", WAIT, () -> replicaLog.headVersion() == leaderLog.publishedVersion());
                assertEquals(FollowerState.FOLLOWING, follower.status().state(), String.valueOf(follower.status().lastError()));
            }
            LogReplay.assertSameDataset(leader, replica, "follower after a restart");
            List<Long> versions = StreamRecords.patches(StreamRecords.readAll(kinesis, stream, "ds")).stream().map(d -> d.version()).toList();
            assertEquals(java.util.stream.LongStream.rangeClosed(1, leaderLog.publishedVersion()).boxed().toList(), versions,
                         "the stream holds each version once");
            assertTrue(StreamRecords.readAll(kinesis, stream, "ds").size() > versions.size(), "the large patch took several records");
        } finally {
            leader.close();
            replica.close();
        }
    }

    private TopicReader reader(Map<String, String> options) {
        Map<String, String> o = new java.util.HashMap<>(options);
        o.keySet().retainAll(KinesisStreamReader.OPTIONS.stream().map(opt -> opt.name()).toList());
        return readerProvider().create("ds", OptionValues.forFollower("replica", o), dir.resolve("reader-work"));
    }

    private static void writeLarge(CapturingDatasetGraph dsg, String g, int quads) {
        Node graph = NodeFactory.createURI("http://example/" + g);
        Txn.executeWrite(dsg, () -> {
            for ( int k = 0 ; k < quads ; k++ )
                dsg.add(graph, NodeFactory.createURI("http://example/" + g + "/s" + k), P, NodeFactory.createLiteralString("large " + k));
        });
    }
}
