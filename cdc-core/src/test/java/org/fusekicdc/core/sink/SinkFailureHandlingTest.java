package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.LongFunction;

import org.fusekicdc.core.internal.metrics.CdcObserver;
import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** How {@link SinkRunner} treats failures: which permanent ones are dead-lettered, backoff, the cursor while retrying. */
class SinkFailureHandlingTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final TestLog changes = new TestLog();

    private void append(int n) {
        for ( int i = 0 ; i < n ; i++ )
            changes.append("TX .\nTC .\n");
    }

    /** A sink that cannot tell what its destination holds and fails the versions it is told to. */
    static final class ScriptedSink implements Sink {
        final LongFunction<SinkException> failure;
        final List<Long> delivered = new CopyOnWriteArrayList<>();
        final AtomicInteger opens = new AtomicInteger();

        ScriptedSink(LongFunction<SinkException> failure) {
            this.failure = failure;
        }

        @Override public String name() { return "scripted"; }
        @Override public long open() { opens.incrementAndGet(); return UNKNOWN; }
        @Override public void close() {}

        @Override
        public void deliver(PatchRecord patch) throws SinkException {
            SinkException ex = failure.apply(patch.version());
            if ( ex != null )
                throw ex;
            delivered.add(patch.version());
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        TestSupport.await(what, Duration.ofSeconds(20), condition);
    }

    @Test
    void aPatchsPermanentFailureSendsItToTheDeadLetterDirectoryAndDeliveryContinues() throws Exception {
        append(3);
        ScriptedSink sink = new ScriptedSink(v -> v == 2 ? SinkException.permanentFailure("too large", null) : null);
        Path dl = dir.resolve("dead");
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS.withDeadLetterDir(dl))) {
            runner.start();
            await(() -> runner.status().cursor() == 3, "delivered");
            assertEquals(List.of(1L, 3L), sink.delivered);
            assertEquals(1, runner.status().deadLettered());
            assertTrue(Files.exists(dl.resolve("scripted/2.rdfp")));
        }
    }

    @Test
    void aPermanentFailureOfTheWholeSinkPausesItEvenWithADeadLetterDirectory() throws Exception {
        append(3);
        ScriptedSink sink = new ScriptedSink(v -> v == 2 ? SinkException.permanentSinkFailure("not authorised to write to the topic", null) : null);
        Path dl = dir.resolve("dead");
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS.withDeadLetterDir(dl))) {
            runner.start();
            await(() -> runner.status().state() == SinkState.PAUSED, "paused");
            SinkStatus st = runner.status();
            assertEquals(1, st.cursor());
            assertEquals(0, st.deadLettered());
            assertTrue(st.lastError().matches("(?s)version 2 \\(patch [0-9a-f-]{36}\\) cannot be delivered: not authorised.*"), st.lastError());
            assertFalse(st.lastError().contains("dead-letter"), "no advice to configure a dead-letter directory: " + st.lastError());
            assertFalse(Files.exists(dl.resolve("scripted/2.rdfp")));
            assertEquals(List.of(1L), sink.delivered);
        }
    }

    @Test
    void aRetryWaitsOutTheBackoffOnTheLogsClock() throws Exception {
        TestClock clock = new TestClock();
        changes.reopen(c -> c.withClock(clock));
        append(1);
        ScriptedSink sink = new ScriptedSink(v -> SinkException.transientFailure("broker refuses", null));
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofHours(1), Duration.ofHours(4)))) {
            runner.start();
            await(() -> runner.status().state() == SinkState.RETRYING, "the first failure");
            assertEquals(clock.instant(), runner.status().lastErrorTime());
            Instant first = clock.instant();
            // The first backoff is an hour, give or take a fifth: without the clock, the retry would take that long.
            clock.advanceUntil(Duration.ofMinutes(10), "the retry an hour later", () -> sink.opens.get() == 2);
            await(() -> !first.equals(runner.status().lastErrorTime()), "the second failure");
            assertTrue(runner.status().lastErrorTime().isAfter(first.plus(Duration.ofMinutes(47))), "the retry came after the backoff");
            assertEquals(SinkState.RETRYING, runner.status().state());
        }
    }

    @Test
    void whatWasDeliveredIsAcknowledgedBeforeTheBackoff() throws Exception {
        append(3);
        ScriptedSink sink = new ScriptedSink(v -> v == 3 ? SinkException.transientFailure("timeout", null) : null);
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofSeconds(10), Duration.ofSeconds(10)))) {
            runner.start();
            await(() -> runner.status().state() == SinkState.RETRYING, "retrying");
            // Still in the first (10 s) backoff: the cursor already has versions 1 and 2.
            assertEquals(2, runner.status().cursor());
            assertEquals(2, changes.log().reader(SinkRunner.cursorName("scripted")).acknowledged());
        }
    }

    /** A scripted sink that takes up to four patches at once; a group fails as a whole if any of its patches fails. */
    static final class GroupingSink implements Sink {
        final ScriptedSink single;
        final List<List<Long>> groups = new CopyOnWriteArrayList<>();

        GroupingSink(LongFunction<SinkException> failure) {
            this.single = new ScriptedSink(failure);
        }

        @Override public String name() { return "scripted"; }
        @Override public long open() { return single.open(); }
        @Override public void close() {}
        @Override public int maxBatch() { return 4; }
        @Override public void deliver(PatchRecord patch) throws SinkException { single.deliver(patch); }

        @Override
        public void deliver(List<PatchRecord> patches) throws SinkException {
            for ( PatchRecord p : patches ) {
                SinkException ex = single.failure.apply(p.version());
                if ( ex != null )
                    throw ex;
            }
            groups.add(patches.stream().map(PatchRecord::version).toList());
            patches.forEach(p -> single.delivered.add(p.version()));
        }
    }

    @Test
    void aBatchingSinkGetsGroupsAndOnlyThePatchAtFaultOfAFailedGroupIsDeadLettered() throws Exception {
        append(10);
        GroupingSink sink = new GroupingSink(v -> v == 6 ? SinkException.permanentFailure("refused by the receiver", null) : null);
        List<Long> counted = new CopyOnWriteArrayList<>();
        changes.log().observe(new CdcObserver() {
            @Override
            public void delivered(String sinkName, long version, long publishNanos) {
                counted.add(version);
            }
        });
        Path dl = dir.resolve("dead");
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS.withDeadLetterDir(dl))) {
            runner.start();
            await(() -> runner.status().cursor() == 10, "delivered");
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 7L, 8L, 9L, 10L), sink.single.delivered, "each version once, in order, but the one at fault");
            assertEquals(sink.single.delivered, counted, "the delivery metrics count grouped and single deliveries alike");
            assertEquals(List.of(List.of(1L, 2L, 3L, 4L), List.of(9L, 10L)), sink.groups, "groups of up to 4; 5..8 one at a time after the failure");
            assertEquals(1, runner.status().deadLettered());
            assertTrue(Files.exists(dl.resolve("scripted/6.rdfp")));
        }
    }

    @Test
    void aBatchingSinkWithoutADeadLetterDirectoryPausesAtThePatchAtFault() throws Exception {
        append(10);
        GroupingSink sink = new GroupingSink(v -> v == 6 ? SinkException.permanentFailure("refused by the receiver", null) : null);
        try (SinkRunner runner = new SinkRunner(changes.log(), sink, SinkConfig.DEFAULTS)) {
            runner.start();
            await(() -> runner.status().state() == SinkState.PAUSED, "paused");
            assertEquals(5, runner.status().cursor(), "the cursor stops before the patch at fault");
            assertTrue(runner.status().lastError().startsWith("version 6 (patch "), runner.status().lastError());
        }
    }
}
