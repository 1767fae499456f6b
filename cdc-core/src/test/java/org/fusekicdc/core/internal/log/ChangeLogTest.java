package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.LogFixtures.DATASET;
import static org.fusekicdc.core.internal.log.LogFixtures.appendPublished;
import static org.fusekicdc.core.internal.log.LogFixtures.assertPayload;
import static org.fusekicdc.core.internal.log.LogFixtures.config;
import static org.fusekicdc.core.internal.log.LogFixtures.payload;
import static org.fusekicdc.core.internal.log.LogFixtures.segmentStarts;
import static org.fusekicdc.core.internal.log.LogFixtures.smallSegments;
import static org.fusekicdc.core.internal.log.LogFixtures.writer;
import static org.fusekicdc.core.internal.log.LogFixtures.writing;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.wire.PatchTextWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChangeLogTest {
    @TempDir
    Path dir;

    // ---- Append, publish, read

    @Test
    void newLogIsEmptyAndStartsAtVersionOne() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(DATASET, log.dataset());
            assertNull(log.head());
            assertEquals(0, log.headVersion());
            assertEquals(0, log.publishedVersion());
            assertEquals(1, log.firstVersion());
            assertEquals(0, log.sizeBytes());
            assertEquals(List.of(), log.readAfter(0, 10));
        }
    }

    @Test
    void publishListenersHearOfEveryPublishAndNotOfUndoneAppends() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<Long> heard = new java.util.ArrayList<>();
            Runnable listener = () -> heard.add(log.publishedVersion());
            log.addPublishListener(listener);
            writer(log).publish(writer(log).append((m, out) -> out.write(payload(1))).version());
            writer(log).undoAppend(writer(log).append((m, out) -> out.write(payload(2))).version());
            writer(log).publish(writer(log).append((m, out) -> out.write(payload(3))).version());
            log.removePublishListener(listener);
            writer(log).publish(writer(log).append((m, out) -> out.write(payload(4))).version());
            assertEquals(List.of(1L, 2L), heard);
        }
    }

    @Test
    void aRecordIsUnpublishedFromItsStampUntilPublishedAndAFailedOneNotAtAll() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> seenWhileWriting = new java.util.ArrayList<>();
            RecordMeta first = writer(log).append((m, out) -> {
                seenWhileWriting.add(log.unpublished());
                out.write(payload(1));
            });
            assertEquals(List.of(first), seenWhileWriting, "a reader's clock is held back from the moment the record is stamped");
            assertEquals(first, log.unpublished());
            writer(log).publish(first.version());
            assertNull(log.unpublished());
            assertThrows(IllegalStateException.class, () -> writer(log).append((m, out) -> {
                throw new IllegalStateException("the payload cannot be made");
            }));
            assertNull(log.unpublished(), "a record that was never written holds no reader's clock back");
        }
    }

    @Test
    void publishedPayloadReadsBackByteForByte() {
        byte[] bytes = "H id <urn:uuid:1> .\nA <s> <p> <o> .\n".getBytes(StandardCharsets.UTF_8);
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            RecordMeta m = writer(log).append(writing(bytes));
            writer(log).publish(m.version());
            LogRecord r = log.read(1);
            assertEquals(m, r.meta());
            assertEquals(bytes.length, r.payloadLength());
            assertArrayEquals(bytes, r.payloadBytes());
            List<LogRecord> after = log.readAfter(0, 10);
            assertEquals(1, after.size());
            assertArrayEquals(bytes, after.get(0).payloadBytes());
        }
    }

    @Test
    void emptyAndLargeBinaryPayloadsRoundTrip() throws IOException {
        byte[] large = new byte[200_000];       // larger than the 64 KiB I/O buffer
        for ( int i = 0 ; i < large.length ; i++ )
            large[i] = (byte)(i * 31 + (i >>> 8));
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            writer(log).publish(writer(log).append(writing(new byte[0])).version());
            writer(log).publish(writer(log).append(writing(large)).version());
            writer(log).publish(writer(log).append((meta, out) -> out.write(7)).version());

            assertEquals(0, log.read(1).payloadLength());
            assertArrayEquals(new byte[0], log.read(1).payloadBytes());
            assertArrayEquals(large, log.read(2).payloadBytes());
            try (InputStream in = log.read(2).openPayload()) {
                byte[] first = in.readNBytes(10);
                assertArrayEquals(java.util.Arrays.copyOf(large, 10), first);
                assertArrayEquals(java.util.Arrays.copyOfRange(large, 10, large.length), in.readAllBytes());
                assertEquals(-1, in.read());
            }
            assertArrayEquals(new byte[] {7}, log.read(3).payloadBytes());
        }
    }

    @Test
    void recordsWrittenThroughTheSharedBufferReadBackWholeAndApart() {
        // Bytes one at a time past the buffer's size, a small record after it, then pieces that end
        // exactly at, just past and far past the buffer's end: no byte of one record reaches another.
        byte[] many = new byte[70_000];
        for ( int i = 0 ; i < many.length ; i++ )
            many[i] = (byte)(i * 7);
        byte[] pieces = new byte[65_536 + 2 + 100_000];
        for ( int i = 0 ; i < pieces.length ; i++ )
            pieces[i] = (byte)(i * 13 + 5);
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            writer(log).publish(writer(log).append((meta, out) -> {
                for ( byte b : many )
                    out.write(b);
            }).version());
            writer(log).publish(writer(log).append(writing(new byte[] {1, 2, 3})).version());
            writer(log).publish(writer(log).append((meta, out) -> {
                out.write(pieces, 0, 65_535);
                out.write(pieces, 65_535, 1);
                out.write(pieces, 65_536, 2);
                out.write(pieces, 65_538, pieces.length - 65_538);
            }).version());
            assertArrayEquals(many, log.read(1).payloadBytes());
            assertArrayEquals(new byte[] {1, 2, 3}, log.read(2).payloadBytes());
            assertArrayEquals(pieces, log.read(3).payloadBytes());
        }
    }

    @Test
    void aFullDiskWhileThePatchTextIsWrittenNamesTheLogAndTheFixAndLeavesNoRecord() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            ChangeLogException ex = assertThrows(ChangeLogException.class, () -> writer(log).append((meta, out) -> {
                OutputStream full = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        throw new IOException("No space left on device");
                    }
                };
                RDFChangesWriterText text = PatchTextWriter.create(full);
                text.add(null, NodeFactory.createURI("urn:s"), NodeFactory.createURI("urn:p"), NodeFactory.createLiteralString("o"));
                text.finish();
            }));
            assertTrue(ex.getMessage().contains("cannot write version 1 to the change log in " + dir), ex.getMessage());
            assertTrue(ex.getMessage().contains("No space left on device") && ex.getMessage().contains("Free disk space"), ex.getMessage());
            assertEquals(0, log.headVersion());
            writer(log).publish(writer(log).append(writing(payload(1))).version());
            assertPayload(log, 1);
        }
    }

    @Test
    void versionsAreNumberedOneTwoThreeWithoutGaps() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> metas = appendPublished(log, 5);
            for ( int i = 0 ; i < metas.size() ; i++ )
                assertEquals(i + 1, metas.get(i).version());
            assertEquals(5, log.headVersion());
            assertEquals(5, log.publishedVersion());
            assertEquals(metas.get(4), log.head());
            for ( long v = 1 ; v <= 5 ; v++ )
                assertPayload(log, v);
        }
    }

    @Test
    void eachRecordPointsToThePreviousOneAndTheFirstToNone() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> metas = appendPublished(log, 4);
            assertNull(metas.get(0).prevId());
            Set<java.util.UUID> ids = new HashSet<>();
            for ( int i = 0 ; i < metas.size() ; i++ ) {
                assertNotNull(metas.get(i).id());
                assertTrue(ids.add(metas.get(i).id()), "ids are unique");
                if ( i > 0 )
                    assertEquals(metas.get(i - 1).id(), metas.get(i).prevId());
                assertEquals(metas.get(i), log.read(i + 1).meta(), "the stored meta is the one append returned");
            }
        }
    }

    @Test
    void payloadWriterSeesTheVersionIdAndPrevTheLogChose() {
        AtomicReference<RecordMeta> seen = new AtomicReference<>();
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            RecordMeta first = appendPublished(log);
            RecordMeta m = writer(log).append((meta, out) -> {
                seen.set(meta);
                out.write(("version " + meta.version()).getBytes(StandardCharsets.US_ASCII));
            });
            assertEquals(m, seen.get());
            assertEquals(2, m.version());
            assertEquals(first.id(), m.prevId());
            assertEquals("version 2", new String(log.read(2).payloadBytes(), StandardCharsets.US_ASCII));
        }
    }

    @Test
    void recordTimestampIsTheAppendTime() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            long before = System.currentTimeMillis();
            RecordMeta m = appendPublished(log);
            long after = System.currentTimeMillis();
            assertTrue(m.timestamp() >= before && m.timestamp() <= after);
            assertEquals(m.timestamp(), m.commitTime().toEpochMilli());
        }
    }

    @Test
    void readAfterReturnsAtMostMaxRecordsInOrder() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 5);
            assertEquals(List.of(1L, 2L), versions(log.readAfter(0, 2)));
            assertEquals(List.of(3L, 4L, 5L), versions(log.readAfter(2, 100)));
            assertEquals(List.of(), log.readAfter(5, 10));
            assertEquals(List.of(), log.readAfter(10, 10));
        }
    }

    @Test
    void readingAVersionBeyondTheHeadFails() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 2);
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> log.read(3));
            assertTrue(ex.getMessage().contains("head is 2"), ex.getMessage());
        }
    }

    // ---- Pending records

    @Test
    void pendingRecordIsInvisibleToReadersUntilPublished() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 2);
            RecordMeta m = writer(log).append(writing(payload(3)));
            assertEquals(3, m.version());
            assertEquals(3, log.headVersion());
            assertEquals(2, log.publishedVersion());
            assertEquals(List.of(1L, 2L), versions(log.readAfter(0, 10)));
            assertEquals(List.of(), log.readAfter(2, 10));
            // The writer and recovery can still see it.
            assertPayload(log, 3);

            writer(log).publish(3);
            assertEquals(3, log.publishedVersion());
            assertEquals(List.of(3L), versions(log.readAfter(2, 10)));
        }
    }

    @Test
    void onlyOneAppendMayBePendingAtATime() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            writer(log).append(writing(payload(1)));
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> writer(log).append(writing(payload(2))));
            assertTrue(ex.getMessage().contains("pending"), ex.getMessage());
            assertEquals(1, log.headVersion());
        }
    }

    @Test
    void publishOrUndoOfAVersionThatIsNotPendingFails() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertThrows(IllegalStateException.class, () -> writer(log).publish(1));
            assertThrows(IllegalStateException.class, () -> writer(log).undoAppend(1));
            appendPublished(log);
            assertThrows(IllegalStateException.class, () -> writer(log).publish(1), "already published");
            assertThrows(IllegalStateException.class, () -> writer(log).undoAppend(1), "published records cannot be undone");
            writer(log).append(writing(payload(2)));
            assertThrows(IllegalStateException.class, () -> writer(log).publish(3));
            assertThrows(IllegalStateException.class, () -> writer(log).undoAppend(1));
            writer(log).publish(2);
            assertEquals(2, log.publishedVersion());
        }
    }

    @Test
    void undoAppendRemovesThePendingRecordAndTheNextAppendReusesItsVersion() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> metas = appendPublished(log, 2);
            long sizeBefore = log.sizeBytes();
            RecordMeta undone = writer(log).append(writing(payload(3)));
            writer(log).undoAppend(3);

            assertEquals(2, log.headVersion());
            assertEquals(metas.get(1), log.head());
            assertEquals(2, log.publishedVersion());
            assertEquals(sizeBefore, log.sizeBytes());
            assertThrows(IllegalArgumentException.class, () -> log.read(3));

            RecordMeta again = writer(log).append(writing(payload(3)));
            assertEquals(3, again.version());
            assertEquals(metas.get(1).id(), again.prevId());
            assertNotEquals(undone.id(), again.id(), "a new record gets a new id");
            writer(log).publish(3);
            assertPayload(log, 3);
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(3, log.headVersion());
            assertPayload(log, 3);
        }
    }

    @Test
    void undoOfTheFirstRecordLeavesAnEmptyLog() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            writer(log).append(writing(payload(1)));
            writer(log).undoAppend(1);
            assertNull(log.head());
            assertEquals(0, log.headVersion());
            assertEquals(0, log.sizeBytes());
            RecordMeta m = writer(log).append(writing(payload(1)));
            assertEquals(1, m.version());
            assertNull(m.prevId());
        }
    }

    @Test
    void undoOfARecordThatStartedANewSegmentKeepsTheChain() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            List<RecordMeta> metas = appendPublished(log, 3);
            writer(log).append(writing(payload(4)));            // rolls to a new segment
            assertEquals(List.of(1L, 4L), segmentStarts(dir));
            writer(log).undoAppend(4);
            assertEquals(metas.get(2), log.head());
            RecordMeta again = writer(log).append(writing(payload(4)));
            assertEquals(4, again.version());
            assertEquals(metas.get(2).id(), again.prevId());
            writer(log).publish(4);
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            for ( long v = 1 ; v <= 4 ; v++ )
                assertPayload(log, v);
        }
    }

    // ---- A payload writer that fails

    @Test
    void failingPayloadWriterLeavesNothingBehind() {
        RuntimeException boom = new RuntimeException("boom");
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> metas = appendPublished(log, 2);
            long size = log.sizeBytes();
            RuntimeException ex = assertThrows(RuntimeException.class, () -> writer(log).append((meta, out) -> {
                out.write(new byte[100_000]);      // some of it reaches the file before the failure
                throw boom;
            }));
            assertSame(boom, ex);
            assertEquals(metas.get(1), log.head());
            assertEquals(2, log.headVersion());
            assertEquals(2, log.publishedVersion());
            assertEquals(size, log.sizeBytes());

            RecordMeta next = writer(log).append(writing(payload(3)));
            assertEquals(3, next.version());
            assertEquals(metas.get(1).id(), next.prevId());
            writer(log).publish(3);
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(3, log.headVersion());
            for ( long v = 1 ; v <= 3 ; v++ )
                assertPayload(log, v);
        }
    }

    @Test
    void payloadWriterIOExceptionIsReportedAsChangeLogExceptionAndLeavesNothing() {
        IOException io = new IOException("disk says no");
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log);
            ChangeLogException ex = assertThrows(ChangeLogException.class, () -> writer(log).append((meta, out) -> {
                out.write(1);
                throw io;
            }));
            assertSame(io, ex.getCause());
            assertTrue(ex.getMessage().contains("version 2"), ex.getMessage());
            assertEquals(1, log.headVersion());
            assertEquals(2, writer(log).append(writing(payload(2))).version());
        }
    }

    @Test
    void failingWriterOnTheFirstRecordOfANewSegmentLeavesNoRecord() {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            List<RecordMeta> metas = appendPublished(log, 3);
            assertThrows(IllegalStateException.class, () -> writer(log).append((meta, out) -> {
                out.write(payload(4));
                throw new IllegalStateException("store rejected it");
            }));
            assertEquals(metas.get(2), log.head());
            RecordMeta m = writer(log).append(writing(payload(4)));
            assertEquals(4, m.version());
            assertEquals(metas.get(2).id(), m.prevId());
            writer(log).publish(4);
            assertPayload(log, 4);
        }
    }

    // ---- removeLast (start-up recovery)

    @Test
    void removeLastDropsTheHeadWhenNothingIsPending() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            List<RecordMeta> metas = appendPublished(log, 3);
            writer(log).removeLast(3);
            assertEquals(2, log.headVersion());
            assertEquals(2, log.publishedVersion());
            assertEquals(metas.get(1), log.head());
            assertThrows(IllegalArgumentException.class, () -> log.read(3));
            assertEquals(List.of(1L, 2L), versions(log.readAfter(0, 10)));

            RecordMeta m = writer(log).append(writing(payload(3)));
            assertEquals(3, m.version());
            assertEquals(metas.get(1).id(), m.prevId());
        }
    }

    @Test
    void removeLastOfAnythingButTheHeadFails() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertThrows(IllegalStateException.class, () -> writer(log).removeLast(0), "empty log");
            assertThrows(IllegalStateException.class, () -> writer(log).removeLast(1), "empty log");
            appendPublished(log, 3);
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> writer(log).removeLast(2));
            assertTrue(ex.getMessage().contains("head is 3"), ex.getMessage());
            assertThrows(IllegalStateException.class, () -> writer(log).removeLast(4));
            assertEquals(3, log.headVersion());
        }
    }

    @Test
    void removeLastIsRefusedWhileARecordIsPending() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 2);
            writer(log).append(writing(payload(3)));
            IllegalStateException ex = assertThrows(IllegalStateException.class, () -> writer(log).removeLast(3));
            assertTrue(ex.getMessage().contains("pending"), ex.getMessage());
            assertEquals(3, log.headVersion());
            writer(log).publish(3);
        }
    }

    @Test
    void recordPendingAtShutdownIsInTheLogAfterReopenUntilRecoveryRemovesIt() {
        RecordMeta first;
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            first = appendPublished(log);
            writer(log).append(writing(payload(2)));       // store commit outcome unknown: process "dies"
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(2, log.headVersion());
            assertEquals(2, log.publishedVersion());
            writer(log).removeLast(2);                     // recovery: the store never committed it
            assertEquals(first, log.head());
            assertEquals(1, log.publishedVersion());
        }
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(1, log.headVersion());
            assertEquals(first, log.head());
        }
    }

    @Test
    void removeLastAcrossASegmentBoundary() throws IOException {
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            List<RecordMeta> metas = appendPublished(log, 4);
            assertEquals(List.of(1L, 4L), segmentStarts(dir));
            writer(log).removeLast(4);
            assertEquals(metas.get(2), log.head());
            writer(log).removeLast(3);                     // the now-empty newest segment goes, the record is cut from the one before
            assertEquals(metas.get(1), log.head());
            assertEquals(List.of(1L), segmentStarts(dir));
            RecordMeta m = writer(log).append(writing(payload(3)));
            assertEquals(3, m.version());
            assertEquals(metas.get(1).id(), m.prevId());
            writer(log).publish(3);
        }
        try (ChangeLog log = ChangeLog.open(smallSegments(dir))) {
            assertEquals(3, log.headVersion());
            for ( long v = 1 ; v <= 3 ; v++ )
                assertPayload(log, v);
        }
    }

    // ---- awaitPublishedAfter

    @Test
    void awaitPublishedAfterReturnsWhenAnotherThreadPublishes() throws Exception {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            Thread waiter = Thread.currentThread();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread publisher = new Thread(() -> {
                try {
                    awaitWaiting(waiter);
                    RecordMeta m = writer(log).append(writing(payload(1)));
                    writer(log).publish(m.version());
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            publisher.start();
            long start = System.nanoTime();
            long published = log.awaitPublishedAfter(0, 10_000);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            publisher.join(10_000);
            assertNull(failure.get());
            assertEquals(1, published);
            assertTrue(elapsedMs < 9_000, "woke on publish, not on timeout: " + elapsedMs + " ms");
        }
    }

    @Test
    void awaitPublishedAfterTimesOutWhenNothingIsPublished() throws InterruptedException {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log);
            writer(log).append(writing(payload(2)));       // pending does not count
            long start = System.nanoTime();
            long published = log.awaitPublishedAfter(1, 100);
            long elapsedMs = (System.nanoTime() - start) / 1_000_000;
            assertEquals(1, published);
            assertTrue(elapsedMs >= 90, "waited for the timeout: " + elapsedMs + " ms");
            assertTrue(elapsedMs < 5_000, "but not much longer: " + elapsedMs + " ms");
        }
    }

    @Test
    void awaitPublishedAfterReturnsAtOnceWhenAlreadyPublished() throws InterruptedException {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log, 2);
            long start = System.nanoTime();
            assertEquals(2, log.awaitPublishedAfter(1, 10_000));
            assertTrue((System.nanoTime() - start) / 1_000_000 < 5_000);
        }
    }

    @Test
    void closingTheLogWakesWaiters() throws Exception {
        ChangeLog log = ChangeLog.open(config(dir));
        Thread waiter = Thread.currentThread();
        Thread closer = new Thread(() -> {
            awaitWaiting(waiter);
            log.close();
        });
        closer.start();
        long start = System.nanoTime();
        assertEquals(0, log.awaitPublishedAfter(0, 10_000));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 9_000);
        closer.join(10_000);
    }

    // ---- Ownership, locking, closing

    @Test
    void logOfAnotherDatasetIsRefusedNamingBothDatasets() {
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            appendPublished(log);
        }
        ChangeLogConfig other = new ChangeLogConfig(dir, "other", false, ChangeLogConfig.DEFAULT_SEGMENT_BYTES, Retention.KEEP_ALL);
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> ChangeLog.open(other));
        assertTrue(ex.getMessage().contains("'" + DATASET + "'"), ex.getMessage());
        assertTrue(ex.getMessage().contains("'other'"), ex.getMessage());
        // The owner's log is untouched.
        try (ChangeLog log = ChangeLog.open(config(dir))) {
            assertEquals(1, log.headVersion());
        }
    }

    @Test
    void emptyLogDirectoryAlreadyBelongsToTheDatasetThatCreatedIt() {
        ChangeLog.open(config(dir)).close();
        ChangeLogConfig other = new ChangeLogConfig(dir, "other", false, ChangeLogConfig.DEFAULT_SEGMENT_BYTES, Retention.KEEP_ALL);
        assertThrows(CdcConfigException.class, () -> ChangeLog.open(other));
    }

    @Test
    void openingTheSameDirectoryTwiceIsRefusedWhileTheFirstIsOpen() {
        try (ChangeLog first = ChangeLog.open(config(dir))) {
            appendPublished(first);
            CdcConfigException ex = assertThrows(CdcConfigException.class, () -> ChangeLog.open(config(dir)));
            assertTrue(ex.getMessage().contains("already open"), ex.getMessage());
            assertTrue(ex.getMessage().contains(dir.toAbsolutePath().toString()), ex.getMessage());
            // The first is unaffected by the failed attempt.
            appendPublished(first);
            assertEquals(2, first.publishedVersion());
        }
        try (ChangeLog again = ChangeLog.open(config(dir))) {
            assertEquals(2, again.headVersion());
        }
    }

    @Test
    void directoryIsCreatedWhenMissing() {
        Path nested = dir.resolve("a/b/log");
        try (ChangeLog log = ChangeLog.open(config(nested))) {
            appendPublished(log);
        }
        assertTrue(Files.isRegularFile(nested.resolve("changelog.properties")));
    }

    @Test
    void directoryWithSegmentsButNoOwnerFileIsRefused() throws IOException {
        Files.write(dir.resolve(Segment.fileName(1)), new byte[10]);
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> ChangeLog.open(config(dir)));
        assertTrue(ex.getMessage().contains("changelog.properties"), ex.getMessage());
    }

    @Test
    void logOfAnotherFormatIsRefused() throws IOException {
        ChangeLog.open(config(dir)).close();
        Path meta = dir.resolve("changelog.properties");
        Files.writeString(meta, Files.readString(meta).replace("format=1", "format=99"));
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> ChangeLog.open(config(dir)));
        assertTrue(ex.getMessage().contains("format 99"), ex.getMessage());
    }

    @Test
    void closedLogRefusesWork() {
        ChangeLog log = ChangeLog.open(config(dir));
        appendPublished(log);
        log.close();
        log.close();                               // closing twice is harmless
        assertThrows(ChangeLogException.class, () -> writer(log).append(writing(payload(2))));
        assertThrows(ChangeLogException.class, () -> log.read(1));
        assertThrows(ChangeLogException.class, () -> log.reader("sink"));
        assertThrows(ChangeLogException.class, () -> writer(log).removeLast(1));
    }

    static List<Long> versions(List<LogRecord> records) {
        return records.stream().map(LogRecord::version).toList();
    }

    /** Spin (bounded) until a thread is blocked waiting; no sleeping. */
    static void awaitWaiting(Thread t) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while ( System.nanoTime() < deadline ) {
            Thread.State s = t.getState();
            if ( s == Thread.State.WAITING || s == Thread.State.TIMED_WAITING )
                return;
            Thread.onSpinWait();
        }
        throw new AssertionError("thread " + t + " never started waiting");
    }
}
