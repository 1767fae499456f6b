package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.OVERHEAD;
import static org.fusekicdc.core.internal.log.LogFixtures.PAYLOAD;
import static org.fusekicdc.core.internal.log.LogFixtures.ageRecords;
import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.assertPayload;
import static org.fusekicdc.core.internal.log.LogFixtures.indexFile;
import static org.fusekicdc.core.internal.log.LogFixtures.payload;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentFile;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentStarts;
import static org.fusekicdc.core.internal.log.LogFixtures.smallSegments;
import static org.fusekicdc.core.internal.log.LogFixtures.writer;
import static org.fusekicdc.core.internal.log.LogFixtures.writing;
import static org.fusekicdc.core.internal.log.ChangeLogTest.versions;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.fusekicdc.core.testing.TestClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention with 1024-byte segments holding three 300-byte records each: segments start at
 * versions 1, 4, 7, 10, ...
 */
class RetentionTest {
    private static final long SEGMENT_SIZE = 3L * (PAYLOAD + OVERHEAD);

    @TempDir
    Path dir;

    private ChangeLogConfig cfg(Retention r) {
        return smallSegments(dir).withRetention(r);
    }

    private static Retention maxVersions(long n) {
        return new Retention(n, null, 0, false);
    }

    private static Retention maxBytes(long n) {
        return new Retention(0, null, n, false);
    }

    // ---- The policy record

    @Test
    void retentionLimitsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Retention(-1, null, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Retention(0, null, -1, false));
        assertThrows(IllegalArgumentException.class, () -> new Retention(0, Duration.ZERO, 0, false));
        assertThrows(IllegalArgumentException.class, () -> new Retention(0, Duration.ofSeconds(-1), 0, false));
    }

    @Test
    void onlyAPolicyWithoutAnyLimitKeepsEverything() {
        assertTrue(Retention.KEEP_ALL.keepsEverything());
        assertTrue(new Retention(0, null, 0, true).keepsEverything());
        assertFalse(maxVersions(1).keepsEverything());
        assertFalse(maxBytes(1).keepsEverything());
        assertFalse(new Retention(0, Duration.ofDays(1), 0, false).keepsEverything());
    }

    // ---- Keeping everything

    @Test
    void keepAllNeverRemovesAnything() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL))) {
            appendPublished(log, 10);
            assertEquals(0, log.applyRetention());
            assertEquals(1, log.firstVersion());
            assertEquals(List.of(1L, 4L, 7L, 10L), segmentStarts(dir));
        }
    }

    // ---- maxVersions

    @Test
    void maxVersionsRemovesWholeOldSegmentsWhenASegmentRolls() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(4)))) {
            appendPublished(log, 9);
            assertEquals(1, log.firstVersion(), "versions 1..3 are still among the newest 4 + segment slack");
            appendPublished(log);                  // version 10 rolls a segment: 1..3 are more than 4 behind
            assertEquals(4, log.firstVersion());
            assertEquals(List.of(4L, 7L, 10L), segmentStarts(dir));
            assertFalse(Files.exists(indexFile(dir, 1)), "the index goes with its segment");
            for ( long v = 4 ; v <= 10 ; v++ )
                assertPayload(log, v);
        }
    }

    @Test
    void maxVersionsAlwaysKeepsAtLeastThatManyNewestVersions() {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(4)))) {
            appendPublished(log, 10);
            assertEquals(3, log.applyRetention(), "4..6 go: 7..10 are four versions");
            assertEquals(7, log.firstVersion());
            assertEquals(0, log.applyRetention(), "removing 7..9 would leave fewer than four");
            assertEquals(7, log.firstVersion());
            assertEquals(4, log.headVersion() - log.firstVersion() + 1);
        }
    }

    // ---- maxBytes

    @Test
    void maxBytesRemovesOldestSegmentsUntilTheLogFits() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(maxBytes(2500)))) {
            appendPublished(log, 10);              // at the roll to version 10: 3 sealed segments = 3312 bytes
            assertEquals(4, log.firstVersion());
            assertEquals(2 * SEGMENT_SIZE + (PAYLOAD + OVERHEAD), log.sizeBytes());
            assertEquals(3, log.applyRetention());
            assertEquals(7, log.firstVersion());
            assertTrue(log.sizeBytes() <= 2500, "size " + log.sizeBytes());
            assertEquals(List.of(7L, 10L), segmentStarts(dir));
        }
    }

    @Test
    void theSegmentBeingWrittenIsNeverRemoved() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(new Retention(1, null, 1, true)))) {
            appendPublished(log, 5);
            log.applyRetention();
            assertEquals(List.of(4L), segmentStarts(dir));
            assertEquals(4, log.firstVersion());
            assertPayload(log, 4);
            assertPayload(log, 5);
            assertEquals(0, log.applyRetention());
            appendPublished(log);
            assertPayload(log, 6);
        }
    }

    @Test
    void retentionNeverRemovesTheSegmentHoldingTheNewestRecord() throws IOException {
        // Rolling to a new segment runs retention before the new record is written. Even with
        // a limit every sealed segment exceeds, the newest record must stay so that the chain
        // can continue from it.
        List<RecordMeta> metas;
        try (ChangeLog log = ChangeLog.open(cfg(maxBytes(1)))) {
            metas = appendPublished(log, 3);
            assertThrows(IllegalStateException.class, () -> writer(log).append((m, out) -> { throw new IllegalStateException("store failed"); }));
            assertEquals(metas.get(2), log.head());
            assertPayload(log, 3);
        }
        try (ChangeLog log = ChangeLog.open(cfg(maxBytes(1)))) {
            assertEquals(metas.get(2), log.head());
            assertEquals(3, log.headVersion());
            assertEquals(3, log.publishedVersion());
            assertEquals(List.of(3L), versions(log.readAfter(2, 10)));
            RecordMeta m = writer(log).append(writing(payload(4)));
            assertEquals(4, m.version());
            assertEquals(metas.get(2).id(), m.prevId());
        }
    }

    @Test
    void undoAfterARollWithRetentionKeepsTheChain() {
        try (ChangeLog log = ChangeLog.open(cfg(maxBytes(1)))) {
            List<RecordMeta> metas = appendPublished(log, 3);
            writer(log).append(writing(payload(4)));       // rolls; retention runs
            writer(log).undoAppend(4);
            assertEquals(metas.get(2), log.head());
            RecordMeta m = writer(log).append(writing(payload(4)));
            assertEquals(metas.get(2).id(), m.prevId());
        }
    }

    @Test
    void retentionWhileARecordIsPendingKeepsTheRecordAnUndoFallsBackTo() {
        try (ChangeLog log = ChangeLog.open(cfg(maxBytes(1)))) {
            List<RecordMeta> metas = appendPublished(log, 3);
            writer(log).append(writing(payload(4)));       // pending, in a new segment
            log.applyRetention();
            writer(log).undoAppend(4);
            assertEquals(metas.get(2), log.head());
            assertEquals(3, log.publishedVersion());
            assertEquals(metas.get(2).id(), writer(log).append(writing(payload(4))).prevId());
        }
    }

    // ---- maxAge

    @Test
    void maxAgeRemovesSegmentsWhoseRecordsAreAllOlder() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL))) {
            appendPublished(log, 7);
        }
        ageRecords(segmentFile(dir, 1), Duration.ofDays(10).toMillis());
        try (ChangeLog log = ChangeLog.open(cfg(new Retention(0, Duration.ofDays(1), 0, false)))) {
            assertEquals(3, log.applyRetention());
            assertEquals(4, log.firstVersion());
            assertEquals(List.of(4L, 7L), segmentStarts(dir), "young segments stay");
            assertEquals(0, log.applyRetention());
        }
    }

    @Test
    void maxAgeRemovesEveryOldSealedSegmentButNeverTheCurrentOne() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL))) {
            appendPublished(log, 8);
        }
        for ( long first : List.of(1L, 4L, 7L) )
            ageRecords(segmentFile(dir, first), Duration.ofDays(10).toMillis());
        try (ChangeLog log = ChangeLog.open(cfg(new Retention(0, Duration.ofDays(1), 0, false)))) {
            assertEquals(6, log.applyRetention());
            assertEquals(7, log.firstVersion());
            assertEquals(List.of(7L), segmentStarts(dir));
            assertPayload(log, 8);
        }
    }

    @Test
    void maxAgeRemovesOldSegmentsWhenTheLogRolls() {
        TestClock clock = new TestClock();
        try (ChangeLog log = ChangeLog.open(cfg(new Retention(0, Duration.ofDays(1), 0, false)).withClock(clock))) {
            appendPublished(log, 6);
            clock.advance(Duration.ofHours(23));
            appendPublished(log);                  // version 7 rolls, but 1..3 are younger than a day
            assertEquals(1, log.firstVersion());
            clock.advance(Duration.ofHours(2));
            appendPublished(log, 3);               // version 10 rolls: 1..6 are older than a day, 7..9 hold the newest published record
            assertEquals(7, log.firstVersion());
            assertThrows(VersionGoneException.class, () -> log.read(6));
            assertPayload(log, 7);
        }
    }

    @Test
    void aRecordIsStampedWithTheLogsClock() {
        TestClock clock = new TestClock();
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL).withClock(clock))) {
            assertEquals(clock.millis(), appendPublished(log, 1).get(0).timestamp());
            clock.advance(Duration.ofMinutes(5));
            assertEquals(clock.millis(), appendPublished(log, 1).get(0).timestamp());
        }
    }

    // ---- Readers hold retention back

    @Test
    void readerThatHasNotAcknowledgedBlocksRemoval() throws IOException {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(1)))) {
            ReaderCursor sink = log.reader("sink");
            appendPublished(log, 10);
            assertEquals(1, log.firstVersion(), "rolls did not remove what the reader still needs");
            assertEquals(0, log.applyRetention());
            assertEquals(List.of(1L, 4L, 7L, 10L), segmentStarts(dir));

            sink.acknowledge(5);
            assertEquals(3, log.applyRetention(), "1..3 acknowledged; 4..6 not entirely");
            assertEquals(4, log.firstVersion());

            sink.acknowledge(9);
            assertEquals(6, log.applyRetention());
            assertEquals(10, log.firstVersion());
        }
    }

    @Test
    void slowestReaderDecides() {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(1)))) {
            ReaderCursor fast = log.reader("fast");
            ReaderCursor slow = log.reader("slow");
            appendPublished(log, 10);
            fast.acknowledge(10);
            slow.acknowledge(2);
            assertEquals(0, log.applyRetention());
            slow.acknowledge(3);
            assertEquals(3, log.applyRetention());
            assertEquals(4, log.firstVersion());
        }
    }

    @Test
    void overrideReadersRemovesEvenUnacknowledgedVersions() {
        try (ChangeLog log = ChangeLog.open(cfg(new Retention(1, null, 0, true)))) {
            ReaderCursor sink = log.reader("sink");
            appendPublished(log, 10);
            assertEquals(7, log.firstVersion());
            assertEquals(0, sink.acknowledged());
            VersionGoneException ex = assertThrows(VersionGoneException.class, () -> log.readAfter(sink.acknowledged(), 10));
            assertEquals(1, ex.requested());
            assertEquals(7, ex.oldestAvailable());
        }
    }

    @Test
    void unregisteredReaderNoLongerBlocksRemoval() {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(1)))) {
            log.reader("gone");
            appendPublished(log, 10);
            assertEquals(0, log.applyRetention());
            log.unregisterReader("gone");
            assertEquals(9, log.applyRetention());
            assertEquals(10, log.firstVersion());
        }
    }

    @Test
    void readerFromBeforeARestartStillBlocksRemoval() {
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL))) {
            log.reader("sink").acknowledge(2);
            appendPublished(log, 10);
        }
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(1)))) {
            assertEquals(0, log.applyRetention());
            assertEquals(1, log.firstVersion());
            log.reader("sink").acknowledge(6);
            assertEquals(6, log.applyRetention());
        }
    }

    // ---- Reading removed versions

    @Test
    void readingARemovedVersionSaysWhichIsTheOldestAvailable() {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(1)))) {
            appendPublished(log, 10);
            log.applyRetention();
            long first = log.firstVersion();
            assertEquals(10, first);
            for ( long v : new long[] {1, 5, 9} ) {
                VersionGoneException ex = assertThrows(VersionGoneException.class, () -> log.read(v));
                assertEquals(v, ex.requested());
                assertEquals(log.firstVersion(), ex.oldestAvailable());
                assertTrue(ex.getMessage().contains("oldest version still available is " + first), ex.getMessage());
                assertInstanceOf(ChangeLogException.class, ex);
            }
        }
    }

    @Test
    void readAfterFromTheStartFailsOnceRetentionHasRemovedVersions() {
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(2)))) {
            appendPublished(log, 10);
            long first = log.firstVersion();
            assertTrue(first > 1);
            VersionGoneException ex = assertThrows(VersionGoneException.class, () -> log.readAfter(0, 10));
            assertEquals(1, ex.requested());
            assertEquals(first, ex.oldestAvailable());
            assertThrows(VersionGoneException.class, () -> log.readAfter(first - 2, 10));
            // Reading on from just before the oldest available version works.
            List<LogRecord> recs = log.readAfter(first - 1, 100);
            assertEquals(first, recs.get(0).version());
            assertEquals(10, recs.get(recs.size() - 1).version());
        }
    }

    @Test
    void removedVersionsStayGoneAfterReopen() throws IOException {
        List<RecordMeta> metas;
        try (ChangeLog log = ChangeLog.open(cfg(maxVersions(4)))) {
            metas = appendPublished(log, 10);
            assertEquals(4, log.firstVersion());
        }
        try (ChangeLog log = ChangeLog.open(cfg(Retention.KEEP_ALL))) {
            assertEquals(4, log.firstVersion());
            assertEquals(10, log.headVersion());
            assertEquals(10, log.publishedVersion());
            assertThrows(VersionGoneException.class, () -> log.read(3));
            assertThrows(VersionGoneException.class, () -> log.readAfter(0, 10));
            for ( long v = 4 ; v <= 10 ; v++ )
                assertEquals(metas.get((int)v - 1), log.read(v).meta());
            RecordMeta m = appendPublished(log);
            assertEquals(11, m.version());
            assertEquals(metas.get(9).id(), m.prevId());
        }
        assertFalse(Files.exists(segmentFile(dir, 1)));
    }
}
