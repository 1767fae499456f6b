package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.testing.TestCapture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

class SinkRunnerTest {
    private static final SinkConfig FAST = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    @TempDir
    Path tmp;
    @RegisterExtension
    final TestCapture capture = new TestCapture();
    SinkRunner runner;

    @AfterEach
    void close() {
        if ( runner != null )
            runner.close();
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for: " + what);
            Thread.onSpinWait();
        }
    }

    private static List<Long> upTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    private SinkRunner start(RecordingSink sink, SinkConfig config) {
        runner = new SinkRunner(capture.log(), sink, config);
        runner.start();
        return runner;
    }

    @Test
    void deliversEveryVersionInOrderAndKeepsUpWithNewCommits() {
        capture.commits(150);
        RecordingSink sink = new RecordingSink("test");
        start(sink, FAST);
        capture.commits(50);
        await(() -> sink.delivered.size() == 200, "200 deliveries");
        assertEquals(upTo(200), sink.delivered);
        await(() -> runner.status().cursor() == 200, "cursor acknowledged");
        assertEquals(SinkState.RUNNING, runner.status().state());
        assertEquals(0, runner.status().lagVersions());
    }

    @Test
    void lagInSecondsIsTheAgeOfTheOldestPatchNotYetDeliveredByTheLogsClock() {
        TestClock clock = new TestClock();
        try (ChangeLog timed = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("timed"), "ds").withFsync(false).withClock(clock));
             SinkRunner idle = new SinkRunner(timed, new RecordingSink("test"), FAST)) {
            LogWriter writer = LogWriter.claim(timed);
            appendPublished(writer);
            clock.advance(Duration.ofSeconds(30));
            appendPublished(writer);
            assertEquals(30.0, idle.status().lagSeconds());
            clock.advance(Duration.ofSeconds(15));
            assertEquals(45.0, idle.status().lagSeconds());
            timed.reader(SinkRunner.cursorName("test")).acknowledge(1);
            assertEquals(15.0, idle.status().lagSeconds());
            timed.reader(SinkRunner.cursorName("test")).acknowledge(2);
            assertEquals(0.0, idle.status().lagSeconds());
        }
    }

    private static void appendPublished(LogWriter w) {
        w.publish(w.append((meta, out) -> out.write("TX .\nTC .\n".getBytes(StandardCharsets.UTF_8))).version());
    }

    @Test
    void transientFailuresAreRetriedWithoutLosingOrRepeatingAVersion() {
        capture.commits(20);
        RecordingSink sink = new RecordingSink("test");
        sink.transientFailures.set(5);
        start(sink, FAST);
        await(() -> sink.delivered.size() == 20, "20 deliveries");
        assertEquals(upTo(20), sink.delivered);
        assertTrue(sink.opens.get() > 1, "the sink is reopened after a failure");
        assertEquals(SinkState.RUNNING, runner.status().state());
        assertTrue(runner.status().lastError().contains("destination unavailable"));
    }

    @Test
    void retryingIsVisibleInTheStatusWithTheLastError() {
        capture.commits(3);
        RecordingSink sink = new RecordingSink("test");
        sink.transientFailures.set(Integer.MAX_VALUE);
        start(sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(10)));
        await(() -> runner.status().state() == SinkState.RETRYING, "retrying");
        SinkStatus s = runner.status();
        assertEquals(3, s.lagVersions());
        assertTrue(s.lastError().contains("version 1"), s.lastError());
        sink.transientFailures.set(0);
        await(() -> sink.delivered.size() == 3, "delivery after the destination is back");
    }

    @Test
    void aPermanentFailurePausesTheSinkNamingTheVersionAndResumeTriesAgain() {
        capture.commits(10);
        RecordingSink sink = new RecordingSink("test");
        sink.rejected.add(4L);
        start(sink, FAST);
        await(() -> runner.status().state() == SinkState.PAUSED, "paused");
        assertEquals(upTo(3), sink.delivered, "nothing after the undeliverable version");
        assertTrue(runner.status().lastError().contains("version 4"), runner.status().lastError());
        sink.rejected.clear();
        runner.resume();
        await(() -> sink.delivered.size() == 10, "delivery after resume");
        assertEquals(upTo(10), sink.delivered);
    }

    @Test
    void withADeadLetterDirectoryAnUndeliverablePatchIsWrittenThereAndDeliveryContinues() throws Exception {
        capture.commits(6);
        RecordingSink sink = new RecordingSink("test");
        sink.rejected.add(2L);
        Path dlq = tmp.resolve("dead");
        start(sink, FAST.withDeadLetterDir(dlq));
        await(() -> runner.status().cursor() == 6, "all handled");
        assertEquals(List.of(1L, 3L, 4L, 5L, 6L), sink.delivered);
        assertTrue(Files.readString(dlq.resolve("test/2.rdfp"), StandardCharsets.UTF_8).contains("H version 2"));
        assertTrue(Files.readString(dlq.resolve("test/2.reason.txt")).contains("rejected by the destination"));
        assertEquals(1, runner.status().deadLettered());
    }

    @Test
    void aRestartResumesAfterWhatTheDestinationHoldsNotTheCursor() {
        capture.commits(10);
        RecordingSink sink = new RecordingSink("test");
        start(sink, FAST);
        await(() -> runner.status().cursor() == 10, "first run");
        runner.close();
        // The cursor goes back (as after a crash between publish and acknowledge) ...
        capture.log().reader(SinkRunner.cursorName("test")).rewind(4);
        capture.commits(5);
        start(sink, FAST);
        await(() -> sink.delivered.size() == 15, "second run");
        // ... but the destination said it holds 10, so nothing is sent twice.
        assertEquals(upTo(15), sink.delivered);
    }

    @Test
    void withoutWordFromTheDestinationTheCursorDecides() {
        capture.commits(5);
        RecordingSink sink = new RecordingSink("test");
        sink.reportsLastVersion = false;
        capture.log().reader(SinkRunner.cursorName("test")).acknowledge(3);
        start(sink, FAST);
        await(() -> sink.delivered.size() == 2, "deliveries");
        assertEquals(List.of(4L, 5L), sink.delivered);
    }

    @Test
    void pauseStopsDeliveryAndRewindReplays() {
        RecordingSink sink = new RecordingSink("test");
        sink.reportsLastVersion = false;
        start(sink, FAST);
        capture.commits(5);
        await(() -> runner.status().cursor() == 5, "first deliveries");
        runner.pause();
        await(() -> runner.status().state() == SinkState.PAUSED, "paused");
        capture.commits(3);
        assertEquals(5, sink.delivered.size(), "nothing delivered while paused");
        runner.rewind(2);
        runner.resume();
        await(() -> sink.delivered.size() == 11, "replay and new versions");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 3L, 4L, 5L, 6L, 7L, 8L), sink.delivered);
    }

    @Test
    void aSinkBehindItsBoundWithTheRefusePolicyRefusesWrites() {
        RecordingSink sink = new RecordingSink("test");
        sink.transientFailures.set(Integer.MAX_VALUE);
        SinkRunners d = new SinkRunners(capture.log());
        d.add(sink, FAST.withLagBound(3, SinkConfig.LagPolicy.REFUSE));
        d.start();
        try {
            capture.commits(3);
            assertTrue(d.writeRefusal().isEmpty());
            capture.commits(1);
            String why = d.writeRefusal().orElseThrow();
            assertTrue(why.contains("sink 'test' is 4 versions behind (bound 3"), why);
            sink.transientFailures.set(0);
            await(() -> d.writeRefusal().isEmpty(), "writes accepted again after catching up");
        } finally {
            d.close();
        }
    }

    @Test
    void versionsRemovedByRetentionBeforeDeliveryPauseTheSinkWithTheFix() {
        capture.reopen(c -> c.withSegmentBytes(1024).withRetention(new Retention(2, null, 0, true)));
        capture.log().reader(SinkRunner.cursorName("test"));
        capture.commits(40);
        RecordingSink sink = new RecordingSink("test");
        sink.reportsLastVersion = false;
        start(sink, FAST);
        await(() -> runner.status().state() == SinkState.PAUSED, "paused");
        assertTrue(runner.status().lastError().contains("removed from the change log by retention"), runner.status().lastError());
        assertTrue(sink.delivered.isEmpty());
    }

    @Test
    void aDamagedRecordIsNeverDeliveredAndPausesTheSinkNamingSegmentAndVersion() throws Exception {
        capture.commits(5);
        Path segment = capture.logDir().resolve(String.format("%020d.log", 1));
        byte[] bytes = Files.readAllBytes(segment);
        int at = new String(bytes, StandardCharsets.ISO_8859_1).indexOf("H version 3 .");
        bytes[at + 2] ^= 0x5A;                    // version 3's payload, as a failing disk would change it
        Files.write(segment, bytes);
        RecordingSink sink = new RecordingSink("test");
        start(sink, FAST);
        await(() -> runner.status().state() == SinkState.PAUSED, "paused");
        assertEquals(upTo(2), sink.delivered);
        String error = runner.status().lastError();
        assertTrue(error.contains("version 3 in segment " + segment), error);
        assertTrue(error.contains("Resume the sink once the log is repaired"), error);
        assertEquals(3, runner.status().lagVersions());
    }

    @Test
    void aSinkPausedBecauseItsDestinationIsAheadOfTheLogLooksAgainOnResume() {
        capture.commits(1);
        RecordingSink ahead = new RecordingSink("ahead");
        ahead.delivered.addAll(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L));
        int before = ahead.opens.get();
        start(ahead, FAST);
        await(() -> runner.status().state() == SinkState.PAUSED, "paused");
        assertTrue(runner.status().lastError().contains("already holds version 10"), runner.status().lastError());
        runner.resume();
        await(() -> ahead.opens.get() == before + 2 && runner.status().state() == SinkState.PAUSED, "looked again on resume");
        assertEquals(10, ahead.delivered.size(), "nothing delivered while the destination is ahead");
    }
}
