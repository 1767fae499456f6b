package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
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
    void lagIsTheAgeOfTheOldestVersionReadButNotAppliedAndGrowsWhileTheFollowerIsStuckApplyingIt() throws Exception {
        ScriptedReader reader = new ScriptedReader(0);
        try (Follower follower = follower(reader, Duration.ofMillis(10))) {
            follower.start();
            assertEquals(0, follower.status().lagMillis(), "nothing read, nothing behind");
            // Another writer holds the store: the follower reads the patch and cannot apply it.
            DatasetGraph store = dsg.getWrapped();
            store.begin(TxnType.WRITE);
            try {
                reader.offer(patch(1, clock.instant().minusSeconds(30).toString()));
                TestSupport.await("the patch read", WAIT, () -> follower.status().lagMillis() != 0);
                assertEquals(30_000, follower.status().lagMillis(), "the leader committed it 30 s ago");
                clock.advance(Duration.ofSeconds(5));
                assertEquals(35_000, follower.status().lagMillis(), "the lag grows while the version is not applied");
                assertEquals(0, follower.status().appliedVersion());
            } finally {
                store.abort();
                store.end();
            }
            TestSupport.await("the patch applied", WAIT, () -> follower.status().appliedVersion() == 1);
            assertEquals(0, follower.status().lagMillis(), "caught up: no lag");
            assertEquals(clock.instant().minusSeconds(35).toEpochMilli(), log.read(1).meta().timestamp(), "the leader's time is kept");
            reader.finish();
        }
    }

    @Test
    void aFollowerThatStopsHearingFromItsTopicSaysItIsCutOffAndItsLagGrowsUntilItHearsAgain() throws Exception {
        ScriptedReader reader = new ScriptedReader(0);
        try (Follower follower = follower(reader, Duration.ofMillis(10))) {
            follower.start();
            TestSupport.await("an idle poll confirmed at the end", WAIT, () -> reader.endChecks.get() > 0);
            Instant heard = clock.instant();
            assertEquals(FollowerState.FOLLOWING, follower.status().state());
            assertEquals(heard, follower.status().lastHeard());
            clock.advance(Duration.ofSeconds(2));
            assertEquals(0, follower.status().lagMillis(), "at the end and heard from the broker 2 s ago: no lag");

            // The broker stops answering: idle polls are no longer confirmed.
            reader.answering = false;
            int checks = reader.endChecks.get();
            TestSupport.await("unanswered polls", WAIT, () -> reader.endChecks.get() >= checks + 2);
            clock.advance(Duration.ofSeconds(8));
            FollowerStatus cut = follower.status();
            assertEquals(FollowerState.UNREACHABLE, cut.state(), String.valueOf(cut.lastError()));
            assertEquals(10_000, cut.lagMillis(), "its data is known complete only up to when it last heard");
            assertEquals(heard, cut.unreachableSince());
            assertTrue(cut.lastError().contains("cut off from scripted for 10 s (last heard at " + heard + ")")
                       && cut.lastError().contains("Check that the broker is running and reachable"), cut.lastError());
            clock.advance(Duration.ofSeconds(5));
            assertEquals(15_000, follower.status().lagMillis(), "the lag grows while it is cut off");

            reader.answering = true;
            TestSupport.await("the follower hears again", WAIT, () -> follower.status().state() == FollowerState.FOLLOWING);
            assertEquals(0, follower.status().lagMillis(), "back at the end: no lag");
            assertEquals(null, follower.status().unreachableSince());
            reader.finish();
        }
    }

    @Test
    void aFollowerThatNeverReachesItsTopicIsCutOffFromWhenItStartedFollowing() throws Exception {
        ScriptedReader reader = new ScriptedReader(Integer.MAX_VALUE);
        try (Follower follower = follower(reader, Duration.ofHours(1))) {
            Instant start = clock.instant();
            follower.start();
            TestSupport.await("the first attempt", WAIT, () -> reader.opens.get() == 1 && follower.status().lastError() != null);
            assertEquals(0, follower.status().lagMillis(), "within the silence a follower is allowed");
            clock.advance(Duration.ofSeconds(20));
            FollowerStatus cut = follower.status();
            assertEquals(FollowerState.UNREACHABLE, cut.state());
            assertEquals(20_000, cut.lagMillis());
            assertEquals(null, cut.lastHeard());
            assertEquals(start, cut.unreachableSince());
            assertTrue(cut.lastError().contains("never heard from it since following started at " + start)
                       && cut.lastError().contains("the leader's topic cannot be reached"), cut.lastError());
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
        final AtomicInteger endChecks = new AtomicInteger();
        volatile boolean answering = true;

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

        @Override
        public boolean confirmedAtEnd() {
            endChecks.incrementAndGet();
            return answering;
        }

        @Override public void close() {}
    }
}
