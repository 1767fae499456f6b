package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.config;
import static org.fusekicdc.core.internal.log.LogFixtures.payload;
import static org.fusekicdc.core.internal.log.LogFixtures.writer;
import static org.fusekicdc.core.internal.log.LogFixtures.writing;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A follower's log: records that keep the leader's identity, and a log that starts after a snapshot's version. */
class ReplicaLogTest {
    @TempDir
    Path leaderDir;
    @TempDir
    Path followerDir;

    @Test
    void aReplicaLogHoldsTheLeadersRecordsUnderTheLeadersIdentity() {
        try (ChangeLog leader = ChangeLog.open(config(leaderDir)); ChangeLog follower = ChangeLog.open(config(followerDir))) {
            List<RecordMeta> metas = appendPublished(leader, 3);
            for ( RecordMeta m : metas ) {
                RecordMeta copied = writer(follower).appendReplica(m, writing(payload(m.version())));
                writer(follower).publish(copied.version());
            }
            for ( RecordMeta m : metas )
                assertEquals(m, follower.read(m.version()).meta());
            assertEquals(leader.headId(), follower.headId());
        }
    }

    @Test
    void aRecordThatSkipsAVersionOrForksTheChainIsRefusedAndNothingIsWritten() {
        try (ChangeLog leader = ChangeLog.open(config(leaderDir)); ChangeLog follower = ChangeLog.open(config(followerDir))) {
            List<RecordMeta> metas = appendPublished(leader, 3);
            writer(follower).publish(writer(follower).appendReplica(metas.get(0), writing(payload(1))).version());

            ChangeLogException gap = assertThrows(ChangeLogException.class, () -> writer(follower).appendReplica(metas.get(2), writing(payload(3))));
            assertTrue(gap.getMessage().contains("next version is 2"), gap.getMessage());
            RecordMeta forked = new RecordMeta(2, UUID.randomUUID(), UUID.randomUUID(), 0);
            ChangeLogException fork = assertThrows(ChangeLogException.class, () -> writer(follower).appendReplica(forked, writing(payload(2))));
            assertTrue(fork.getMessage().contains("forked"), fork.getMessage());
            assertEquals(1, follower.headVersion());
            writer(follower).publish(writer(follower).appendReplica(metas.get(1), writing(payload(2))).version());
            assertEquals(2, follower.headVersion());
        }
    }

    @Test
    void aLogStartedAfterASnapshotContinuesFromItsVersionAcrossRestarts() {
        UUID snapshotId = UUID.randomUUID();
        try (ChangeLog log = ChangeLog.open(config(followerDir))) {
            writer(log).markRebase(41, snapshotId, followerDir.resolve("snapshot.rdfp"));
            assertEquals(41, log.pendingRebase().version());
            writer(log).rebase(41, snapshotId);
            assertNull(log.pendingRebase());
            assertEquals(41, log.headVersion());
            assertEquals(41, log.publishedVersion());
            assertEquals(snapshotId, log.headId());
            assertNull(log.head(), "no record yet");
        }
        try (ChangeLog log = ChangeLog.open(config(followerDir))) {
            assertEquals(41, log.headVersion(), "the start survives a restart");
            assertNull(log.pendingRebase());
            assertEquals(snapshotId, log.idOf(41));
            RecordMeta next = new RecordMeta(42, UUID.randomUUID(), snapshotId, 0);
            writer(log).publish(writer(log).appendReplica(next, writing(payload(42))).version());
            assertEquals(42, log.firstVersion());
            assertEquals(List.of(42L), log.readAfter(41, 10).stream().map(LogRecord::version).toList());
        }
    }

    @Test
    void aRebaseDiscardsTheHistoryAndAnInterruptedOneIsStillPendingAfterARestart() {
        UUID id = UUID.randomUUID();
        try (ChangeLog log = ChangeLog.open(config(followerDir))) {
            appendPublished(log, 5);
            writer(log).markRebase(3, id, followerDir.resolve("snapshot.rdfp"));
        }
        try (ChangeLog log = ChangeLog.open(config(followerDir))) {
            assertEquals(3, log.pendingRebase().version(), "a crash before the rebase leaves it pending");
            assertEquals(5, log.headVersion(), "and the old history in place until it is done");
            writer(log).rebase(3, id);
            assertEquals(3, log.headVersion());
            assertThrows(VersionGoneException.class, () -> log.read(2), "the discarded versions are gone");
            assertEquals(List.of(), log.readAfter(3, 10));
        }
        try (ChangeLog log = ChangeLog.open(config(followerDir))) {
            assertEquals(3, log.headVersion());
            assertEquals(id, log.headId());
        }
    }
}
