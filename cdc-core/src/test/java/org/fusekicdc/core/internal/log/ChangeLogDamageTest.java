package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.assertPayload;
import static org.fusekicdc.core.internal.log.LogFixtures.flipByte;
import static org.fusekicdc.core.internal.log.LogFixtures.offsetOf;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentFile;
import static org.fusekicdc.core.internal.log.LogFixtures.smallSegments;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damage to records of a segment: what a reader gets (never the damaged bytes) and what
 * start-up does (stops naming segment, version and the fix; never cuts a complete record).
 * Torn tails and index damage are in {@link ChangeLogRecoveryTest}.
 */
class ChangeLogDamageTest {
    @TempDir
    Path dir;

    /** Versions 1..8 in segments 1..3, 4..6, 7..8. */
    private void writeEight() {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log, 8);
        }
    }

    private static void assertNamesDamage(DamagedRecordException ex, Path segment, long version) {
        assertEquals(segment, ex.damage().segment());
        assertEquals(version, ex.damage().version());
        String msg = ex.getMessage();
        assertTrue(msg.contains("version " + version + " in segment " + segment), msg);
        assertTrue(msg.contains("Restore the change log directory from a backup"), msg);
    }

    // ---- Found by a reader: a sealed segment's payload is only checked when read

    @Test
    void flippedPayloadByteInASealedSegmentIsNeverServed() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 4);
        long at5 = offsetOf(sealed, 4, 5);
        flipByte(sealed, at5 + Segment.HEADER_BYTES + 40);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertNull(log.damage(), "nothing read yet");
            DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> log.read(5));
            assertNamesDamage(ex, sealed, 5);
            assertEquals(new LogDamage(sealed, 5, at5, "checksum mismatch"), log.damage());
            // A page stops before the damaged record; asking for the record itself is an error.
            assertEquals(List.of(1L, 2L, 3L, 4L), ChangeLogTest.versions(log.readAfter(0, 100)));
            assertThrows(DamagedRecordException.class, () -> log.readAfter(4, 100));
            assertThrows(DamagedRecordException.class, () -> log.idOf(5));
            assertPayload(log, 6);
            // Writes go on: the store holds every version, the damage is in one record's copy.
            assertEquals(9, appendPublished(log).version());
        }
    }

    @Test
    void damageAfterOpenIsFoundByTheNextRead() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log, 5);
            assertPayload(log, 5);
            Path last = segmentFile(dir, 4);
            flipByte(last, offsetOf(last, 4, 5) + Segment.HEADER_BYTES + 3);
            assertNamesDamage(assertThrows(DamagedRecordException.class, () -> log.read(5)), last, 5);
            assertEquals(List.of(1L, 2L, 3L, 4L), ChangeLogTest.versions(log.readAfter(0, 100)));
        }
    }

    @Test
    void flippedChecksumInASealedSegmentIsNeverServed() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 1);
        flipByte(sealed, offsetOf(sealed, 1, 3) - 2);     // version 2's checksum
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertNamesDamage(assertThrows(DamagedRecordException.class, () -> log.read(2)), sealed, 2);
            assertPayload(log, 3);
        }
    }

    // ---- Found at start-up: headers of every segment are checked

    @Test
    void damagedRecordMarkerInASealedSegmentStopsOpen() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 4);
        long at5 = offsetOf(sealed, 4, 5);
        flipByte(sealed, at5 + 1);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertNamesDamage(ex, sealed, 5);
        assertEquals(at5, ex.damage().offset());
        assertTrue(ex.getMessage().contains("no record marker"), ex.getMessage());
    }

    @Test
    void damagedLengthFieldInASealedSegmentStopsOpen() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 1);
        long at2 = offsetOf(sealed, 1, 2);
        flipByte(sealed, at2 + Segment.AT_LENGTH + 6);
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertNamesDamage(ex, sealed, 2);
        assertEquals(at2, ex.damage().offset());
    }

    @Test
    void damagedVersionFieldInASealedSegmentStopsOpen() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 4);
        flipByte(sealed, offsetOf(sealed, 4, 6) + Segment.AT_VERSION + 7);
        assertNamesDamage(assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir))), sealed, 6);
    }

    @Test
    void damagedRecordMarkerInTheMiddleOfTheLastSegmentStopsOpen() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log, 6);
        }
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        flipByte(last, offsetOf(last, 4, 5));
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertNamesDamage(ex, last, 5);
        assertTrue(ex.getMessage().contains("Intact records follow it"), ex.getMessage());
        assertEquals(size, Files.size(last));
    }

    @Test
    void damagedLengthFieldOfTheLastRecordStopsOpenAndIsKept() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log, 5);
        }
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        long at5 = offsetOf(last, 4, 5);
        flipByte(last, at5 + Segment.AT_LENGTH + 7);     // now shorter or longer than the file holds
        DamagedRecordException ex = assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        assertNamesDamage(ex, last, 5);
        assertEquals(size, Files.size(last));
    }

    @Test
    void lastRecordWithADamagedMarkerStopsOpenAndIsKept() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            appendPublished(log, 5);
        }
        Path last = segmentFile(dir, 4);
        long size = Files.size(last);
        flipByte(last, offsetOf(last, 4, 5) + 2);
        assertNamesDamage(assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir))), last, 5);
        assertEquals(size, Files.size(last));
    }

    @Test
    void repairingTheDamagedByteMakesTheLogUsableAgain() throws IOException {
        writeEight();
        Path sealed = segmentFile(dir, 4);
        long at = offsetOf(sealed, 4, 5) + 1;
        flipByte(sealed, at);
        assertThrows(DamagedRecordException.class, () -> ChangeLog.open(smallSegments(dir)));
        flipByte(sealed, at);
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            for ( long v = 1 ; v <= 8 ; v++ )
                assertPayload(log, v);
        }
    }
}
