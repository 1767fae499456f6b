package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower of a JetStream subject whose nats-server stops: it says it is cut off, naming the
 * server, and its lag grows from when it last heard although it knows of no newer version; once
 * the server is back it catches up with what the leader committed meanwhile and its lag returns
 * to 0. A private nats-server, stopped and started on the same port and store.
 */
class NatsFollowerCutOffIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    private static void write(CapturingDatasetGraph dsg, int i) {
        Txn.executeWrite(dsg, () -> dsg.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/s" + i), NodeFactory.createURI("http://ex/p"),
                                                        NodeFactory.createLiteralString("v" + i))));
    }

    @Test
    void aFollowerWhoseServerStopsIsCutOffItsLagGrowsAndItCatchesUpOnceTheServerIsBack() throws Exception {
        try (NatsTesting.PrivateServer server = new NatsTesting.PrivateServer(work);
             ChangeLog leaderLog = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("leader"), "ds").withFsync(false));
             ChangeLog followerLog = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("follower-log"), "ds").withFsync(false))) {
            server.start();
            CapturingDatasetGraph leader = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), leaderLog,
                                                                        CaptureConfig.defaults(work.resolve("leader-spill")));
            CapturingDatasetGraph replica = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), followerLog,
                                                                         CaptureConfig.defaults(work.resolve("follower-spill")));
            var reader = new NatsSubjectReaderProvider().create("ds", options("follow", "url", server.url(), "connectTimeoutSeconds", "1"),
                                                                work.resolve("follower"));
            FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                       Duration.ofMillis(50), Duration.ofMillis(500));
            try (SinkRunner sink = new SinkRunner(leaderLog, new NatsSinkProvider().create("ds", options("nats", "url", server.url()), work),
                                                  NatsSinkIT.FAST_RETRY);
                 Follower follower = new Follower(replica, reader, config, work.resolve("follower"))) {
                sink.start();
                follower.start();
                write(leader, 1);
                TestSupport.await("the follower applies version 1", WAIT, () -> follower.status().appliedVersion() == 1);
                TestSupport.await("the follower hears the end", WAIT,
                                  () -> follower.status().state() == FollowerState.FOLLOWING && follower.status().lastHeard() != null
                                        && follower.status().lagMillis() == 0);

                server.stop();
                Instant stopped = Instant.now();
                write(leader, 2);
                TestSupport.await("the follower says it is cut off", WAIT, () -> follower.status().state() == FollowerState.UNREACHABLE);
                FollowerStatus cut = follower.status();
                assertTrue(cut.lastError().contains(server.url()) && cut.lastError().contains("Check that the broker is running"), cut.lastError());
                assertTrue(!cut.unreachableSince().isAfter(stopped), cut.unreachableSince() + " vs " + stopped);
                assertEquals(1, cut.appliedVersion());
                long lag = cut.lagMillis();
                assertTrue(lag > 0, cut.toString());
                TestSupport.await("the lag grows", WAIT, () -> follower.status().lagMillis() >= lag + 2_000);

                server.start();
                write(leader, 3);
                TestSupport.await("the follower catches up", WAIT, () -> follower.status().appliedVersion() == 3);
                TestSupport.await("the follower is following with no lag", WAIT,
                                  () -> follower.status().state() == FollowerState.FOLLOWING && follower.status().lagMillis() == 0);
                assertEquals(null, follower.status().unreachableSince());
            }
        }
    }
}
