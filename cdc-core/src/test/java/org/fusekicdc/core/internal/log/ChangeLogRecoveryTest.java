package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.OVERHEAD;
import static org.fusekicdc.core.internal.log.LogFixtures.PAYLOAD;
import static org.fusekicdc.core.internal.log.LogFixtures.appendBytes;
import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.assertPayload;
import static org.fusekicdc.core.internal.log.LogFixtures.config;
import static org.fusekicdc.core.internal.log.LogFixtures.flipByte;
import static org.fusekicdc.core.internal.log.LogFixtures.indexFile;
import static org.fusekicdc.core.internal.log.LogFixtures.offsetOf;
import static org.fusekicdc.core.internal.log.LogFixtures.payload;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentFile;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentStarts;
import static org.fusekicdc.core.internal.log.LogFixtures.smallSegments;
import static org.fusekicdc.core.internal.log.LogFixtures.truncate;
import static org.fusekicdc.core.internal.log.LogFixtures.writer;
import static org.fusekicdc.core.internal.log.LogFixtures.writing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What survives a close, a crash (kill -9 mid-write) and damage to the files on disk. */
class ChangeLogRecoveryTest {
    @TempDir
    Path dir;

    private List<RecordMeta> writeLog(ChangeLogConfig cfg, int n) {
        try (ChangeLog log = ChangeLog.open(cfg)) {
            return appendPublished(log, n);
        }
    }

    /** The log holds exactly versions 1..n with their payloads, chain and metadata. */
    private static void assertIntact(ChangeLog log, List<RecordMeta> metas) {
        int n = metas.size();
        assertEquals(n, log.headVersion());
        assertEquals(n, log.publishedVersion());
        assertEquals(n == 0 ? null : metas.get(n - 1), log.head());
        for ( int i = 0 ; i < n ; i++ ) {
            assertEquals(metas.get(i), log.read(i + 1).meta());
            assertPayload(log, i + 1);
        }
        assertEquals(n, log.readAfter(0, Integer.MAX_VALUE - 1).size());
    }

    /** The next append continues the chain after the last of {@code metas}. */
    private static void assertNextAppendContinues(ChangeLog log, List<RecordMeta> metas) {
        RecordMeta last = metas.get(metas.size() - 1);
        RecordMeta m = writer(log).append(writing(payload(last.version() + 1)));
        assertEquals(last.version() + 1, m.version());
        assertEquals(last.id(), m.prevId());
        writer(log).publish(m.version());
        assertPayload(log, m.version());
    }

    // ---- Reopen

    @Test
    void reopenAfterCloseKeepsEverything() {
        List<RecordMeta> metas = writeLog(config(dir), 5);
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertIntact(log, metas);
            assertNextAppendContinues(log, metas);
        }
    }

    @Test
    void durableDefaultConfigReopensToo() {
        List<RecordMeta> metas;
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir, LogFixtures.DATASET))) {
            metas = appendPublished(log, 3);
        }
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir, LogFixtures.DATASET))) {
            assertIntact(log, metas);
        }
    }

    @Test
    void reopenOfAnEmptyLogIsStillEmpty() {
        ChangeLog.open(config(dir)).close();
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(0, log.headVersion());
            assertEquals(1, log.firstVersion());
            assertEquals(1, writer(log).append(writing(payload(1))).version());
        }
    }

    @Test
    void segmentsRollAtSegmentBytesAndEveryVersionReadsBackAfterReopen() throws IOException {
        List<RecordMeta> metas;
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            metas = appendPublished(log, 10);
            assertEquals(List.of(1L, 4L, 7L, 10L), segmentStarts(dir));
            assertEquals(10L * (PAYLOAD + OVERHEAD), log.sizeBytes());
            assertIntact(log, metas);
        }
        for ( long first : List.of(1L, 4L, 7L) )
            assertEquals(3L * (PAYLOAD + OVERHEAD), Files.size(segmentFile(dir, first)), "sealed segment " + first);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
            // Across segment boundaries, in any order.
            for ( long v : List.of(10L, 3L, 4L, 1L, 7L, 6L) )
                assertPayload(log, v);
            assertEquals(List.of(3L, 4L, 5L, 6L, 7L), ChangeLogTest.versions(log.readAfter(2, 5)));
            assertNextAppendContinues(log, metas);
        }
    }

    @Test
    void recordLargerThanASegmentGetsASegmentOfItsOwn() throws IOException {
        byte[] big = new byte[5000];
        new Random(1).nextBytes(big);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log);
            writer(log).publish(writer(log).append(writing(big)).version());
            appendPublished(log);
            assertEquals(List.of(1L, 3L), segmentStarts(dir));
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertArrayEquals(big, log.read(2).payloadBytes());
            assertPayload(log, 3);
        }
    }

    @Test
    void reopeningWithADifferentSegmentSizeKeepsExistingSegments() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 7);
        try (ChangeLog log = ChangeLog.open(config(dir))) {     // 64 MiB segments now
            assertIntact(log, metas);
            appendPublished(log, 3);
            assertEquals(List.of(1L, 4L, 7L), segmentStarts(dir), "the last segment keeps growing");
        }
    }

    // ---- Index files

    @Test
    void deletedIndexFilesAreRebuiltOnOpen() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 8);
        for ( long first : segmentStarts(dir) )
            Files.delete(indexFile(dir, first));
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
            assertNextAppendContinues(log, metas);
        }
        assertEquals(3 * 8, Files.size(indexFile(dir, 1)));
        assertEquals(3 * 8, Files.size(indexFile(dir, 4)));
    }

    @Test
    void truncatedIndexFilesAreRebuiltOnOpen() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 8);
        truncate(indexFile(dir, 1), 13);           // not a whole entry
        truncate(indexFile(dir, 4), 8);            // whole entries, but too few
        truncate(indexFile(dir, 7), 0);            // the last segment's
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
        }
        assertEquals(3 * 8, Files.size(indexFile(dir, 1)));
        assertEquals(3 * 8, Files.size(indexFile(dir, 4)));
        assertEquals(2 * 8, Files.size(indexFile(dir, 7)));
    }

    @Test
    void indexWithTrailingGarbageIsRebuiltOnOpen() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 8);
        appendBytes(indexFile(dir, 1), new byte[] {0, 0, 0, 0, 0, 0, 0x7f, 0});
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
        }
        assertEquals(3 * 8, Files.size(indexFile(dir, 1)));
    }

    @Test
    void wrongIndexEntryOfASealedSegmentIsRebuiltOnOpen() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 8);
        // Damage the first entry of a sealed segment only: the index still looks consistent at its end.
        try (FileChannel ch = FileChannel.open(indexFile(dir, 1), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).putLong(0, 100), 0);
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
        }
        try (FileChannel ch = FileChannel.open(indexFile(dir, 1), StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, 0);
            assertEquals(0, b.getLong(0), "the entry was rewritten from the segment");
        }
    }

    @Test
    void indexDamagedWhileTheLogIsOpenGivesAnErrorThatSaysToDeleteTheIndex() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 8);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            try (FileChannel ch = FileChannel.open(indexFile(dir, 1), StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.allocate(8).putLong(0, 100), 0);
            }
            ChangeLogException ex = assertThrows(ChangeLogException.class, () -> log.read(1));
            assertFalse(ex instanceof DamagedRecordException, "the record is fine; the index is not");
            assertTrue(ex.getMessage().contains(".idx"), ex.getMessage());
            assertPayload(log, 2);
            assertEquals(null, log.damage());
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
        }
    }

    // ---- Torn tail: the process died while writing the last record

    @Test
    void bytesAfterTheLastRecordThatNoAppendWritesStopOpen() throws IOException {
        // An interrupted append leaves zeros or a prefix of a record, never other bytes: these came from elsewhere.
        writeLog(smallSegments(dir), 5);
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        byte[] garbage = new byte[137];
        new Random(42).nextBytes(garbage);
        appendBytes(last, garbage);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertEquals(6, ex.damage().version());
        assertEquals(size, ex.damage().offset());
        assertTrue(ex.getMessage().contains("no record marker"), ex.getMessage());
        assertEquals(size + 137, Files.size(last), "nothing is cut");
    }

    @Test
    void partiallyWrittenLastRecordIsCutOff() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 5);
        // Version 6 was being written when the process died: only part of it reached the file.
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            writer(log).append(writing(payload(6)));
        }
        Path last = segmentFile(dir, 4);
        long full = Files.size(last);
        long withoutSix = full - (PAYLOAD + OVERHEAD);
        for ( long cut : new long[] {full - 1, full - 4, full - 100, withoutSix + OVERHEAD, withoutSix + 10} ) {
            Path copy = dir.resolve("copy");
            Files.copy(last, copy);
            truncate(last, cut);
            try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
                assertIntact(log, metas);
                assertEquals(withoutSix, Files.size(last), "cut at " + cut);
            }
            Files.move(copy, last, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.delete(indexFile(dir, 4));
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertEquals(6, log.headVersion(), "the record is kept when it is whole");
        }
    }

    @Test
    void zerosAfterTheLastRecordAreCutOff() throws IOException {
        for ( int zeros : new int[] {10, 4096} ) {
            Path d = dir.resolve("zeros-" + zeros);
            List<RecordMeta> metas = writeLog(smallSegments(d), 5);
            Path last = segmentFile(d, 4);
            long size = Files.size(last);
            appendBytes(last, new byte[zeros]);
            try (ChangeLog log = ChangeLog.open(smallSegments(d))) {
                assertIntact(log, metas);
                assertEquals(size, Files.size(last));
                assertNextAppendContinues(log, metas);
            }
        }
    }

    @Test
    void payloadWrittenWithoutItsHeaderIsCutOff() throws IOException {
        // The log writes the payload before the header: a crash in between leaves a hole of zeros then payload bytes.
        List<RecordMeta> metas = writeLog(smallSegments(dir), 5);
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        byte[] tail = new byte[Segment.HEADER_BYTES + PAYLOAD];
        System.arraycopy(payload(6), 0, tail, Segment.HEADER_BYTES, PAYLOAD);
        appendBytes(last, tail);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
            assertEquals(size, Files.size(last));
            assertNextAppendContinues(log, metas);
        }
    }

    @Test
    void tornFirstRecordOfANewSegmentLeavesAnEmptySegmentThatTakesTheNextAppend() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 3);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            writer(log).append(writing(payload(4)));       // rolls; then the process dies mid-write
        }
        truncate(segmentFile(dir, 4), 30);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
            assertEquals(0, Files.size(segmentFile(dir, 4)));
            assertNextAppendContinues(log, metas);
            assertEquals(List.of(1L, 4L), segmentStarts(dir));
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertEquals(4, log.headVersion());
        }
    }

    @Test
    void emptySegmentLeftByACrashJustAfterARollIsUsedForTheNextAppend() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 3);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertThrows(IllegalStateException.class, () -> writer(log).append((m, out) -> { throw new IllegalStateException("x"); }));
        }
        assertEquals(List.of(1L, 4L), segmentStarts(dir));
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
            assertNextAppendContinues(log, metas);
        }
    }

    @Test
    void lastRecordWithAFlippedPayloadByteStopsOpenAndIsKept() throws IOException {
        writeLog(smallSegments(dir), 5);
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        long at5 = offsetOf(last, 4, 5);
        flipByte(last, at5 + Segment.HEADER_BYTES + 123);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertEquals(new LogDamage(last, 5, at5, "checksum mismatch"), ex.damage());
        assertTrue(ex.getMessage().contains("version 5 in segment " + last), ex.getMessage());
        assertTrue(ex.getMessage().contains("may have been acknowledged"), ex.getMessage());
        assertTrue(ex.getMessage().contains("Restore the change log directory from a backup"), ex.getMessage());
        assertTrue(ex.getMessage().contains("cdc:startNewHistory"), ex.getMessage());
        assertEquals(size, Files.size(last), "an acknowledged write's record is never cut");
    }

    @Test
    void lastRecordWithAFlippedChecksumByteStopsOpenAndIsKept() throws IOException {
        writeLog(smallSegments(dir), 5);
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        flipByte(last, size - 1);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertEquals(5, ex.damage().version());
        assertEquals(size, Files.size(last));
    }

    @Test
    void damagedRecordInsideTheLastSegmentWithWholeRecordsAfterItIsCorruptionNotATornTail() throws IOException {
        List<RecordMeta> metas = writeLog(smallSegments(dir), 6);
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        flipByte(last, offsetOf(last, 4, 5) + Segment.HEADER_BYTES + 7);   // version 5 of 4..6
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertTrue(ex.getMessage().contains(last.getFileName().toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("version 5"), ex.getMessage());
        assertEquals(size, Files.size(last), "published records after the damage are not thrown away");
        // The failed open released the directory: repairing the byte makes the log usable again.
        flipByte(last, offsetOf(last, 4, 5) + Segment.HEADER_BYTES + 7);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertIntact(log, metas);
        }
    }

    @Test
    void logHoldingOnlyAnEmptySegmentReopensWithTheRightPublishedVersion() throws IOException {
        // State left by a roll whose retention removed every older segment, before the new record was written.
        writeLog(smallSegments(dir), 3);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertThrows(IllegalStateException.class, () -> writer(log).append((m, out) -> { throw new IllegalStateException("x"); }));
        }
        Files.delete(segmentFile(dir, 1));
        Files.delete(indexFile(dir, 1));
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertEquals(4, log.firstVersion());
            assertEquals(3, log.headVersion());
            assertEquals(3, log.publishedVersion());
            VersionGoneException ex = assertThrows(VersionGoneException.class, () -> log.readAfter(0, 10));
            assertEquals(4, ex.oldestAvailable());
            assertEquals(List.of(), log.readAfter(3, 10));
            RecordMeta m = writer(log).append(writing(payload(4)));
            assertEquals(4, m.version());
            writer(log).publish(4);
            assertEquals(4, log.awaitPublishedAfter(3, 0));
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
    }

    // ---- Damage to a sealed segment

    @Test
    void damagedRecordInASealedSegmentStopsOpenNamingTheSegmentFile() throws IOException {
        writeLog(smallSegments(dir), 8);
        Path sealed = segmentFile(dir, 4);
        flipByte(sealed, offsetOf(sealed, 4, 5) + Segment.HEADER_BYTES + 50);
        Files.delete(indexFile(dir, 4));           // the segment is checked record by record when its index is rebuilt
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertTrue(ex.getMessage().contains(sealed.getFileName().toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("checksum"), ex.getMessage());
        assertEquals(3L * (PAYLOAD + OVERHEAD), Files.size(sealed), "a sealed segment is never truncated");
        assertEquals(List.of(1L, 4L, 7L), segmentStarts(dir));
    }

    @Test
    void damagedLastRecordHeaderOfASealedSegmentStopsOpen() throws IOException {
        writeLog(smallSegments(dir), 8);
        Path sealed = segmentFile(dir, 1);
        flipByte(sealed, offsetOf(sealed, 1, 3) + 5);   // inside version 3's version field
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertTrue(ex.getMessage().contains(sealed.getFileName().toString()), ex.getMessage());
    }

    @Test
    void truncatedSealedSegmentStopsOpen() throws IOException {
        writeLog(smallSegments(dir), 8);
        Path sealed = segmentFile(dir, 1);
        truncate(sealed, Files.size(sealed) - 10);
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertTrue(ex.getMessage().contains(sealed.getFileName().toString()), ex.getMessage());
    }

    @Test
    void missingSegmentInTheMiddleStopsOpenReportingTheGap() throws IOException {
        writeLog(smallSegments(dir), 8);
        Files.delete(segmentFile(dir, 4));
        Files.delete(indexFile(dir, 4));
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertEquals(4, ex.damage().version());
        assertEquals(segmentFile(dir, 4), ex.damage().segment());
        assertTrue(ex.getMessage().contains("gap: versions 4..6 are missing"), ex.getMessage());
        assertTrue(ex.getMessage().contains(Segment.fileName(1)), ex.getMessage());
        assertTrue(ex.getMessage().contains("Restore the change log directory from a backup"), ex.getMessage());
    }

    @Test
    void strayLogFileInTheDirectoryStopsOpen() throws IOException {
        writeLog(config(dir), 1);
        Files.writeString(dir.resolve("notes.log"), "hello");
        ChangeLogException ex = assertThrows(ChangeLogException.class, () -> ChangeLog.open(config(dir)));
        assertTrue(ex.getMessage().contains("notes.log"), ex.getMessage());
        Files.delete(dir.resolve("notes.log"));
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(1, log.headVersion());
        }
    }

    @Test
    void failedOpenLeavesNoFilesOpen() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        Assumptions.assumeTrue(Files.isDirectory(fds), "needs /proc/self/fd (Linux)");
        writeLog(smallSegments(dir), 8);
        truncate(segmentFile(dir, 4), 100);        // sealed segments 1..3 open fine, then 4..6 fails
        assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        List<String> open = new java.util.ArrayList<>();
        try (var list = Files.list(fds)) {
            for ( Path fd : (Iterable<Path>)list::iterator ) {
                try {
                    Path target = Files.readSymbolicLink(fd);
                    if ( target.startsWith(dir.toRealPath()) )
                        open.add(target.toString());
                } catch (IOException ex) {
                    // closed while listing
                }
            }
        }
        assertEquals(List.of(), open);
    }

    @Test
    void failedOpenDoesNotLeaveTheDirectoryLocked() throws IOException {
        writeLog(smallSegments(dir), 8);
        Path sealed = segmentFile(dir, 1);
        byte[] original = Files.readAllBytes(sealed);
        truncate(sealed, original.length - 10);
        assertThrows(ChangeLogException.class, () -> ChangeLog.open(smallSegments(dir)));
        Files.write(sealed, original);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertEquals(8, log.headVersion());
            assertFalse(log.readAfter(0, 100).isEmpty());
        }
    }
}
