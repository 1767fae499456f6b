package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.util.IsoMatcher;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leader Fuseki publishing to NATS JetStream and a follower Fuseki following the subject, in
 * one JVM: the follower holds the leader's data at the leader's versions, refuses writes,
 * starts from a snapshot, feeds its own live queries, and halts (or sets aside) what it must not
 * apply, and is promoted only when caught up or forced. Needs a NATS server with JetStream (NATS_URL, else 127.0.0.1:4222); .ci/run starts one.
 */
class FollowerIT {
    @TempDir
    Path work;

    private JetStreamFollowing following;

    @BeforeEach
    void natsSubject() throws Exception {
        following = new JetStreamFollowing("follow");
    }

    @AfterEach
    void dropStream() throws Exception {
        following.close();
    }

    private String leaderConfig() {
        return following.leaderConfig(work.resolve("leader"));
    }

    private String followerConfig(Path dir, String extra) {
        return following.followerConfig(dir, "fuseki:endpoint [ fuseki:operation fuseki:update ; fuseki:name \"update\" ] ;", "", extra);
    }

    private static void insert(CdcFuseki f, int i) {
        assertEquals(204, f.update("ds", "PREFIX ex: <http://ex/> INSERT DATA { ex:s" + i + " ex:p " + i + " . GRAPH ex:g { ex:s" + i + " ex:q \"v" + i + "\" } }")
                           .statusCode());
    }

    private static Follower follower(CdcFuseki f) {
        return f.runtime("ds").follower().orElseThrow();
    }

    /** The version the leader's NATS sink has delivered up to. */
    private static long delivered(CdcFuseki leader) {
        SinkRunners d = leader.runtime("ds").sinks();
        return d.status().get(0).cursor();
    }

    private static void await(String what, BooleanSupplier condition, Follower follower) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting until " + what + "; follower " + (follower == null ? "-" : follower.status()));
            Thread.sleep(20);
        }
    }

    private static void assertSameData(CapturingDatasetGraph leader, CapturingDatasetGraph follower) {
        DatasetGraph expected = copy(leader);
        Txn.executeRead(follower, () -> assertTrue(IsoMatcher.isomorphic(expected, follower), "the follower holds the leader's data"));
    }

    private static DatasetGraph copy(DatasetGraph source) {
        DatasetGraph d = DatasetGraphFactory.createTxnMem();
        Txn.executeRead(source, () -> Txn.executeWrite(d, () -> source.find().forEachRemaining(d::add)));
        return d;
    }

    private static void assertSameLog(ChangeLog leader, ChangeLog follower, long from) {
        assertEquals(leader.publishedVersion(), follower.publishedVersion(), "same head version");
        for ( long v = from ; v <= leader.publishedVersion() ; v++ )
            assertEquals(leader.read(v).meta(), follower.read(v).meta(), "version " + v + ": the follower's record has the leader's id, prev and time");
    }

    @Test
    void followerHoldsTheLeadersDataAtTheLeadersVersionsAndRefusesWrites() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {});
             CdcFuseki follower = CdcFuseki.start(work.resolve("follower"), followerConfig(work.resolve("follower"), ""), b -> {})) {
            for ( int i = 1 ; i <= 30 ; i++ )
                insert(leader, i);
            assertEquals(204, leader.update("ds", "PREFIX ex: <http://ex/> DELETE WHERE { ex:s7 ?p ?o }").statusCode());
            assertEquals(204, leader.update("ds", "PREFIX ex: <http://ex/> DROP GRAPH ex:g").statusCode());
            CapturingDatasetGraph l = leader.dataset("ds"), f = follower.dataset("ds");
            await("the follower reaches the leader's head", () -> f.changeLog().publishedVersion() == l.changeLog().publishedVersion(), follower(follower));

            assertSameData(l, f);
            assertSameLog(l.changeLog(), f.changeLog(), 1);
            FollowerStatus s = follower(follower).status();
            assertEquals(FollowerState.FOLLOWING, s.state());
            assertEquals(0, s.lagVersions());
            assertEquals(32, s.appliedVersion());

            var refused = follower.update("ds", "INSERT DATA { <http://ex/a> <http://ex/b> 1 }");
            assertEquals(403, refused.statusCode());
            assertTrue(refused.body().contains("read-only follower") && refused.body().contains("http://leader.example/ds"), refused.body());
            String status = follower.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(follower.url("/$/cdc")))).body();
            assertTrue(status.contains("\"follower\"") && status.contains("\"appliedVersion\" : 32"), status);
        }
    }

    @Test
    void restartedFollowerContinuesWhereItStoppedAndLiveQueriesSeeTheLeadersWrites() throws Exception {
        Path fdir = work.resolve("follower");
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                for ( int i = 1 ; i <= 10 ; i++ )
                    insert(leader, i);
                await("version 10 applied", () -> follower.dataset("ds").changeLog().publishedVersion() == 10, follower(follower));
            }
            for ( int i = 11 ; i <= 20 ; i++ )
                insert(leader, i);
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                await("version 20 applied", () -> follower.dataset("ds").changeLog().publishedVersion() == 20, follower(follower));
                assertSameLog(leader.dataset("ds").changeLog(), follower.dataset("ds").changeLog(), 1);

                String query = "SELECT ?o { <http://ex/s99> <http://ex/p> ?o }";
                try (SseClient live = new SseClient(follower.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)), Map.of())) {
                    assertEquals("initial", live.next().event());
                    assertEquals("up-to-date", live.next().event());
                    insert(leader, 99);
                    SseClient.Event update = live.next();
                    assertEquals("update", update.event());
                    assertEquals("21", update.id(), "the follower's live query is tagged with the leader's version");
                    assertTrue(update.data().contains("99"), update.data());
                }
            }
        }
    }

    @Test
    void emptyFollowerStartsFromTheLeadersSnapshotWhenTheSubjectNoLongerHoldsTheStart() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            assertEquals(204, leader.update("ds", "INSERT DATA { <http://ex/a> <http://ex/b> <http://ex/c> }").statusCode());
            for ( int i = 1 ; i <= 20 ; i++ )
                insert(leader, i);
            await("the leader's sink delivered version 21", () -> delivered(leader) >= 21, null);
            following.nats.jetStreamManagement().purgeStream(following.stream);   // the subject's retention removed the start
            for ( int i = 21 ; i <= 25 ; i++ )
                insert(leader, i);

            // Without a snapshot the follower cannot start: versions 1..21 are gone.
            Path lost = work.resolve("lost");
            try (CdcFuseki follower = CdcFuseki.start(lost, followerConfig(lost, ""), b -> {})) {
                Follower fl = follower(follower);
                await("the follower halts", () -> fl.status().state() == FollowerState.HALTED, fl);
                assertTrue(fl.status().lastError().contains("versions 1..21 are missing"), fl.status().lastError());
                assertEquals(0, follower.dataset("ds").changeLog().headVersion(), "nothing applied");
            }

            Path fdir = work.resolve("follower");
            String snapshot = ("; cdc:snapshotUrl \"" + leader.url("/ds/snapshot") + "\"");
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, snapshot), b -> {})) {
                CapturingDatasetGraph l = leader.dataset("ds"), f = follower.dataset("ds");
                await("the follower reaches version 26", () -> f.changeLog().publishedVersion() == 26, follower(follower));
                insert(leader, 26);
                await("the follower reaches version 27", () -> f.changeLog().publishedVersion() == 27, follower(follower));
                assertSameData(l, f);
                assertTrue(f.changeLog().firstVersion() > 1, "the follower's log starts after the snapshot");
                assertSameLog(l.changeLog(), f.changeLog(), f.changeLog().firstVersion());
            }
        }
    }

    @Test
    void aForeignMessageHaltsTheFollowerOrGoesToTheDeadLetterDirectory() throws Exception {
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            insert(leader, 1);
            insert(leader, 2);
            await("the leader's sink delivered version 2", () -> delivered(leader) >= 2, null);
            // Someone else publishes on the leader's subject (the leader's sink would now refuse to
            // publish: its subject no longer ends with its own last patch).
            Headers h = new Headers().put("Content-Type", "text/plain");
            following.nats.jetStream().publish(NatsMessage.builder().subject(following.subject).headers(h).data("hello, not a patch").build());

            Path halting = work.resolve("halting");
            try (CdcFuseki follower = CdcFuseki.start(halting, followerConfig(halting, ""), b -> {})) {
                Follower fl = follower(follower);
                await("the follower halts", () -> fl.status().state() == FollowerState.HALTED, fl);
                String error = fl.status().lastError();
                assertTrue(error.contains("stream sequence 3") && error.contains(following.subject) && error.contains("not a fuseki-cdc patch"), error);
                assertEquals(2, follower.dataset("ds").changeLog().headVersion(), "stopped after the last good patch");
            }

            Path setAside = work.resolve("dead-letter");
            try (CdcFuseki follower = CdcFuseki.start(work.resolve("dl"), followerConfig(work.resolve("dl"),
                        "; cdc:onBadMessage \"deadLetter\" ; cdc:deadLetterDirectory \"" + setAside + "\""), b -> {})) {
                await("the bad message is set aside", () -> Files.exists(setAside.resolve("message-stream_sequence_3.bin")), follower(follower));
                assertEquals("hello, not a patch", Files.readString(setAside.resolve("message-stream_sequence_3.bin")));
                assertTrue(Files.readString(setAside.resolve("message-stream_sequence_3.properties")).contains("not a fuseki-cdc patch"));
                assertEquals(FollowerState.FOLLOWING, follower(follower).status().state());
                assertEquals(2, follower.dataset("ds").changeLog().headVersion());
            }
        }
    }

    @Test
    void aFollowerWhoseDataWasChangedBehindItsBackHaltsWithoutApplying() throws Exception {
        Path fdir = work.resolve("follower");
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            insert(leader, 1);
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                await("version 1 applied", () -> follower.dataset("ds").changeLog().publishedVersion() == 1, follower(follower));
            }
            // Someone writes to the follower's database directly what the leader writes next.
            DatasetGraph db = TDB2Factory.connectDataset(fdir.resolve("db").toString()).asDatasetGraph();
            Txn.executeWrite(db, () -> db.add(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/s2"), NodeFactory.createURI("http://ex/p"),
                                              NodeFactory.createLiteralDT("2", XSDDatatype.XSDinteger)));
            TDBInternal.expel(db);
            insert(leader, 2);

            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                Follower fl = follower(follower);
                await("the follower halts", () -> fl.status().state() == FollowerState.HALTED, fl);
                assertTrue(fl.status().lastError().contains("differs from the leader's at version 1"), fl.status().lastError());
                assertEquals(1, follower.dataset("ds").changeLog().headVersion());
            }
            // Configured to resynchronise, it replaces its data and history with the leader's snapshot instead.
            String resync = "; cdc:onGap \"resync\" ; cdc:snapshotUrl \"" + leader.url("/ds/snapshot") + "\"";
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, resync), b -> {})) {
                CapturingDatasetGraph f = follower.dataset("ds");
                await("the follower resynchronises to version 2", () -> f.changeLog().publishedVersion() == 2, follower(follower));
                insert(leader, 3);
                await("and follows on", () -> f.changeLog().publishedVersion() == 3, follower(follower));
                assertSameData(leader.dataset("ds"), f);
                assertEquals(FollowerState.FOLLOWING, follower(follower).status().state());
            }
        }
    }

    @Test
    void promotionIsRefusedWhileTheFollowerLagsAndForceTakesItAnyway() throws Exception {
        Path fdir = work.resolve("follower");
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            insert(leader, 1);
            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                await("version 1 applied", () -> follower.dataset("ds").changeLog().publishedVersion() == 1, follower(follower));
            }
            // Its data changed behind its back, the follower halts at version 1 and falls behind the leader's versions 2 and 3.
            DatasetGraph db = TDB2Factory.connectDataset(fdir.resolve("db").toString()).asDatasetGraph();
            Txn.executeWrite(db, () -> db.add(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/s2"), NodeFactory.createURI("http://ex/p"),
                                              NodeFactory.createLiteralDT("2", XSDDatatype.XSDinteger)));
            TDBInternal.expel(db);
            insert(leader, 2);
            insert(leader, 3);
            await("the leader's sink delivered version 3", () -> delivered(leader) >= 3, null);

            try (CdcFuseki follower = CdcFuseki.start(fdir, followerConfig(fdir, ""), b -> {})) {
                Follower fl = follower(follower);
                await("the follower halts behind the leader", () -> fl.status().state() == FollowerState.HALTED && fl.status().lagVersions() > 0, fl);

                var refused = promote(follower, "");
                assertEquals(409, refused.statusCode(), refused.body());
                assertTrue(refused.body().contains("\"promoted\" : false") && refused.body().contains("HALTED at version 1")
                           && refused.body().contains("force=true"), refused.body());
                assertEquals(403, follower.update("ds", "INSERT DATA { <http://ex/a> <http://ex/b> 1 }").statusCode(), "still a read-only follower");
                assertEquals(400, promote(follower, "?force=yes").statusCode());

                var forced = promote(follower, "?force=true");
                assertEquals(200, forced.statusCode(), forced.body());
                // Its first version as leader is the promotion record, after the version it had applied.
                assertTrue(forced.body().contains("\"promoted\" : true") && forced.body().contains("\"version\" : 2"), forced.body());
                assertTrue(follower.runtime("ds").follower().isEmpty(), "it follows no more");
                var write = follower.update("ds", "INSERT DATA { <http://ex/a> <http://ex/b> 1 }");
                assertEquals(204, write.statusCode(), write.body());
                assertEquals("3", write.headers().firstValue("X-CDC-Version").orElse(null), "the promoted server's versions go on from its own head");

                var again = promote(follower, "");
                assertEquals(409, again.statusCode());
                assertTrue(again.body().contains("leader already"), again.body());
            }
        }
    }

    private static java.net.http.HttpResponse<String> promote(CdcFuseki f, String query) {
        return f.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url("/$/cdc/ds/promote" + query)))
                                               .POST(java.net.http.HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void aFollowerThatFindsVersionsMissingResynchronisesFromASnapshotWhenConfigured() throws Exception {
        Path fdir = work.resolve("follower");
        String resync = "; cdc:onGap \"resync\" ; cdc:snapshotUrl \"%s\"";
        try (CdcFuseki leader = CdcFuseki.start(work.resolve("leader"), leaderConfig(), b -> {})) {
            String config = followerConfig(fdir, resync.formatted(leader.url("/ds/snapshot")));
            try (CdcFuseki follower = CdcFuseki.start(fdir, config, b -> {})) {
                for ( int i = 1 ; i <= 10 ; i++ )
                    insert(leader, i);
                await("version 10 applied", () -> follower.dataset("ds").changeLog().publishedVersion() == 10, follower(follower));
            }
            for ( int i = 11 ; i <= 20 ; i++ )
                insert(leader, i);
            await("the leader's sink delivered version 20", () -> delivered(leader) >= 20, null);
            following.nats.jetStreamManagement().purgeStream(following.stream);   // versions 11..20 are gone from the subject
            for ( int i = 21 ; i <= 25 ; i++ )
                insert(leader, i);
            try (CdcFuseki follower = CdcFuseki.start(fdir, config, b -> {})) {
                CapturingDatasetGraph f = follower.dataset("ds");
                await("the follower resynchronises", () -> f.changeLog().publishedVersion() == 25, follower(follower));
                insert(leader, 26);
                await("and follows on", () -> f.changeLog().publishedVersion() == 26, follower(follower));
                assertSameData(leader.dataset("ds"), f);
                assertTrue(f.changeLog().firstVersion() > 20, "the history before the snapshot was replaced");
            }
        }
    }

    @Test
    void aBadFollowConfigurationStopsStartUpWithTheFix() throws IOException {
        Path dir = work.resolve("bad");
        var ex = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
            () -> CdcFuseki.start(dir, followerConfig(dir, "; cdc:onBadMessage \"deadLetter\""), b -> {}).close());
        Throwable t = ex;
        while ( t.getCause() != null && !t.getMessage().contains("deadLetterDirectory") )
            t = t.getCause();
        assertTrue(t.getMessage().contains("cdc:deadLetterDirectory is not set"), t.getMessage());
    }
}
