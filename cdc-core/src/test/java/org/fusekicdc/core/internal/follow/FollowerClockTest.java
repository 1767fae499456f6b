package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A follower's retries and lag, on the clock of its change log. */
class FollowerClockTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private final TestClock clock = new TestClock();
    private ChangeLog log;
    private CapturingDatasetGraph dsg;

    @BeforeEach
    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "replica").withFsync(false).withClock(clock));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
    }

    @AfterEach
    void close() {
        log.close();
    }

    private Follower follower(ScriptedReader reader, Duration initialBackoff) {
        FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   initialBackoff, initialBackoff.multipliedBy(4));
        return new Follower(dsg, reader, config, dir.resolve("work"));
    }

    @Test
    void aFollowerThatCannotReachItsSourceRetriesAfterTheBackoffOnTheLogsClock() throws Exception {
        ScriptedReader reader = new ScriptedReader(Integer.MAX_VALUE);
        try (Follower follower = follower(reader, Duration.ofHours(1))) {
            follower.start();
            TestSupport.await("the first attempt", WAIT, () -> reader.opens.get() == 1 && follower.status().lastError() != null);
            assertTrue(follower.status().lastError().contains("retrying in 3600000 ms"), follower.status().lastError());
            // The first backoff is at most an hour (jitter takes up to half of it off): without the clock, the retry would take that long.
            clock.advanceUntil(Duration.ofMinutes(10), "the retry", () -> reader.opens.get() == 2);
        }
    }

    @Test
    void lagIsTheAgeOfTheLastAppliedPatchByTheLogsClock() throws Exception {
        ScriptedReader reader = new ScriptedReader(0);
        try (Follower follower = follower(reader, Duration.ofMillis(10))) {
            follower.start();
            reader.offer(patch(1, clock.instant().minusSeconds(30).toString()));
            // The lag is noted just after the store commit that makes the version visible.
            TestSupport.await("the patch applied and its lag noted", WAIT,
                              () -> follower.status().appliedVersion() == 1 && follower.status().lagMillis() != 0);
            assertEquals(30_000, follower.status().lagMillis());
            assertEquals(clock.instant().minusSeconds(30).toEpochMilli(), log.read(1).meta().timestamp(), "the leader's time is kept");
            reader.finish();
        }
    }

    private static TopicReader.PatchMessage patch(long version, String timestamp) {
        Map<String, String> headers = Map.of(PatchMessages.VERSION, Long.toString(version), PatchMessages.ID, UUID.randomUUID().toString(),
                                             PatchMessages.DATASET, "ds", PatchMessages.CONTENT_TYPE, PatchRecord.TEXT,
                                             PatchMessages.TIMESTAMP, timestamp);
        byte[] body = "TX .\nA <http://example/s> <http://example/p> \"o\" .\nTC .\n".getBytes(StandardCharsets.UTF_8);
        return new TopicReader.PatchMessage(new PatchReassembler.Patch(headers, 1, null, body), "offset " + version);
    }

    /** A topic reader that refuses its first opens, then hands out what the test offers; once finished, polls return at once. */
    private static final class ScriptedReader implements TopicReader {
        final AtomicInteger opens = new AtomicInteger();
        private final int refusals;
        private final BlockingQueue<Optional<Incoming>> queue = new LinkedBlockingQueue<>();
        private volatile boolean finished;

        ScriptedReader(int refusals) {
            this.refusals = refusals;
        }

        void offer(Incoming in) {
            queue.add(Optional.of(in));
        }

        void finish() {
            finished = true;
            queue.add(Optional.empty());
        }

        @Override public String describe() { return "scripted"; }

        @Override
        public void open(long afterVersion) throws Exception {
            if ( opens.incrementAndGet() <= refusals )
                throw new java.io.IOException("the leader's topic cannot be reached");
        }

        @Override
        public Optional<Incoming> poll(Duration timeout) throws InterruptedException {
            if ( finished )
                return Optional.empty();
            Optional<Incoming> in = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return in == null ? Optional.empty() : in;
        }

        @Override public void close() {}
    }
}
