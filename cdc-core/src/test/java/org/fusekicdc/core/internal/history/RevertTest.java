package org.fusekicdc.core.internal.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevertTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private ChangeLog log;
    private CapturingDatasetGraph dsg;
    private HistoryIndex index;

    @BeforeEach
    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withFsync(false));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve("spill")));
        index = HistoryIndex.open(log, 50);
    }

    @AfterEach
    void close() {
        index.close();
        log.close();
    }

    /** Versions after {@code version} whose patches add or delete one of its quads, by scanning the log. */
    private Map<Long, Set<Quad>> conflictsByScan(long version) {
        Set<Quad> touched = new HashSet<>();
        HistoryFixture.quadsOf(log.read(version)).forEach(e -> touched.add((Quad)e[0]));
        Map<Long, Set<Quad>> out = new TreeMap<>();
        for ( long v = version + 1 ; v <= log.publishedVersion() ; v++ ) {
            for ( Object[] e : HistoryFixture.quadsOf(log.read(v)) ) {
                if ( touched.contains((Quad)e[0]) )
                    out.computeIfAbsent(v, x -> new HashSet<>()).add((Quad)e[0]);
            }
        }
        return out;
    }

    private static Map<Long, Set<Quad>> asMap(List<Revert.Conflict> conflicts) {
        Map<Long, Set<Quad>> out = new TreeMap<>();
        conflicts.forEach(c -> out.put(c.version(), new HashSet<>(c.quads())));
        return out;
    }

    private Set<Quad> contents() {
        return Txn.calculateRead(dsg, () -> {
            Set<Quad> all = new HashSet<>();
            dsg.find().forEachRemaining(all::add);
            return all;
        });
    }

    @Test
    void cleanRevertsRestoreTheTouchedQuadsExactlyAndConflictingOnesAreRefusedWithTheRightVersions() {
        Random r = new Random(42);
        HistoryFixture.workload(dsg, r, 150);
        int clean = 0;
        int refused = 0;
        for ( int round = 0 ; round < 60 ; round++ ) {
            long version = log.firstVersion() + r.nextInt((int)(log.publishedVersion() - log.firstVersion() + 1));
            boolean quadless = HistoryFixture.quadsOf(log.read(version)).isEmpty();
            if ( quadless ) {
                Revert.RevertRefused ex = assertThrows(Revert.RevertRefused.class, () -> Revert.apply(dsg, index, version, "admin", false));
                assertEquals(Revert.Reason.NOTHING_TO_REVERT, ex.reason());
                continue;
            }
            Map<Long, Set<Quad>> expected = conflictsByScan(version);
            Set<Quad> before = contents();
            long head = log.publishedVersion();
            Revert.Result result = Revert.apply(dsg, index, version, "admin", false);
            assertEquals(expected, asMap(result.plan().conflicts()), "conflicts of reverting version " + version);
            if ( !expected.isEmpty() ) {
                refused++;
                assertEquals(-1, result.newVersion());
                assertEquals(head, log.publishedVersion(), "a refused revert writes nothing");
                assertEquals(before, contents());
                continue;
            }
            clean++;
            assertEquals(head + 1, result.newVersion());
            assertEquals(head + 1, log.publishedVersion());
            // Exactly the quads of the version go back to their state before it; nothing else changes.
            Set<Quad> expectedAfter = new HashSet<>(before);
            for ( Object[] e : HistoryFixture.quadsOf(log.read(version)) ) {
                if ( (Boolean)e[1] )
                    expectedAfter.remove((Quad)e[0]);
                else
                    expectedAfter.add((Quad)e[0]);
            }
            assertEquals(expectedAfter, contents(), "state after reverting version " + version);
            RDFPatch patch = LogReplay.patch(log.read(result.newVersion()));
            assertEquals(Long.toString(version), patch.getHeader(PatchHeaders.REVERTS).getLiteralLexicalForm());
            assertEquals("uuid:" + log.read(version).meta().id(), patch.getHeader(PatchHeaders.REVERTS_ID).getLiteralLexicalForm());
            assertEquals("admin", patch.getHeader(PatchHeaders.REVERTED_BY).getLiteralLexicalForm());
            // Reverting it again conflicts with the revert itself.
            Revert.Result again = Revert.apply(dsg, index, version, "admin", false);
            assertEquals(List.of(result.newVersion()), again.plan().conflicts().stream().map(Revert.Conflict::version).toList());
        }
        assertTrue(clean > 5 && refused > 5, "the workload gives both clean (" + clean + ") and conflicting (" + refused + ") reverts");
    }

    @Test
    void aDryRunChangesNothingAndReturnsThePatchTheRevertApplies() {
        Txn.executeWrite(dsg, () -> {
            dsg.add(SSE.parseQuad("(<http://example/g> <http://example/s> <http://example/p> 1)"));
            dsg.add(SSE.parseQuad("(_ <http://example/s> <http://example/p> 2)"));
        });
        Txn.executeWrite(dsg, () -> {
            dsg.delete(SSE.parseQuad("(_ <http://example/s> <http://example/p> 2)"));
            dsg.add(SSE.parseQuad("(_ <http://example/s> <http://example/q> 3)"));
        });
        Revert.Result dry = Revert.apply(dsg, index, 2, "someone", true);
        assertEquals(-1, dry.newVersion());
        assertEquals(2, log.publishedVersion(), "a dry run writes nothing");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        dry.plan().writePatch(dry.plan().headers("someone"), out);
        String text = out.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("H reverts \"2\""), text);
        assertTrue(text.contains("D <http://example/s> <http://example/q> 3"), text);
        assertTrue(text.contains("A <http://example/s> <http://example/p> 2"), text);
        Revert.Result done = Revert.apply(dsg, index, 2, "someone", false);
        assertEquals(3, done.newVersion());
        String logged = new String(log.read(3).payloadBytes(), StandardCharsets.UTF_8);
        assertTrue(logged.contains("D <http://example/s> <http://example/q> 3") && logged.contains("A <http://example/s> <http://example/p> 2"),
                   logged);
    }

    @Test
    void versionsThatCannotBeRevertedAreRefusedWithTheReason() {
        Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(_ <http://example/s> <http://example/p> 1)")));
        assertEquals(Revert.Reason.NOT_IN_LOG, assertThrows(Revert.RevertRefused.class, () -> Revert.apply(dsg, index, 5, "a", false)).reason());
        assertEquals(Revert.Reason.NOT_IN_LOG, assertThrows(Revert.RevertRefused.class, () -> Revert.apply(dsg, index, 0, "a", true)).reason());
    }

    /** A sink that passes each patch to a follower, as a broker topic would. */
    private static final class TopicSink implements Sink, TopicReader {
        final BlockingQueue<Incoming> topic = new LinkedBlockingQueue<>();
        final List<String> delivered = new ArrayList<>();

        @Override public String name() { return "topic"; }
        @Override public long open() { return UNKNOWN; }

        @Override
        public synchronized void deliver(PatchRecord patch) {
            byte[] body = patch.record().payloadBytes();
            delivered.add(new String(body, StandardCharsets.UTF_8));
            Map<String, String> headers = new HashMap<>(PatchMessages.headers(patch, PatchRecord.TEXT));
            topic.add(new PatchMessage(new PatchReassembler.Patch(headers, patch.version(), null, body), "offset " + patch.version()));
        }

        @Override public String describe() { return "in-memory topic"; }
        @Override public void open(long afterVersion) {}

        @Override
        public Optional<Incoming> poll(Duration timeout) throws InterruptedException {
            return Optional.ofNullable(topic.poll(timeout.toMillis(), TimeUnit.MILLISECONDS));
        }

        @Override public void close() {}
    }

    @Test
    void aSinkAndAFollowerSeeARevertLikeAnyTransaction() throws Exception {
        TopicSink sink = new TopicSink();
        Path fdir = tmp.resolve("follower");
        try (ChangeLog flog = ChangeLog.open(ChangeLogConfig.defaults(fdir.resolve("log"), "ds").withFsync(false));
             SinkRunner runner = new SinkRunner(log, sink, SinkConfig.DEFAULTS)) {
            DatasetGraph fbase = DatasetGraphFactory.createTxnMem();
            CapturingDatasetGraph fdsg = CapturingDatasetGraph.create(fbase, flog, CaptureConfig.defaults(fdir.resolve("spill")));
            FollowerConfig fc = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(10), Duration.ofMillis(100));
            try (Follower follower = new Follower(fdsg, sink, fc, fdir.resolve("work"))) {
                runner.start();
                follower.start();
                HistoryFixture.workload(dsg, new Random(7), 30);
                Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(_ <http://example/r> <http://example/p> 1)")));
                long target = log.publishedVersion();
                HistoryFixture.workload(dsg, new Random(8), 5);
                Revert.Result result = Revert.apply(dsg, index, target, "admin", false);
                assertTrue(result.newVersion() > 0, "clean revert");
                TestSupport.await("the follower applies the revert", WAIT, () -> flog.publishedVersion() == result.newVersion());
                synchronized (sink) {
                    assertTrue(sink.delivered.getLast().contains("H reverts \"" + target + "\""), sink.delivered.getLast());
                }
                RDFPatch replicated = LogReplay.patch(flog.read(result.newVersion()));
                assertEquals(Long.toString(target), replicated.getHeader(PatchHeaders.REVERTS).getLiteralLexicalForm());
                assertFalse(Txn.calculateRead(fdsg, () -> fdsg.contains(SSE.parseQuad("(_ <http://example/r> <http://example/p> 1)"))));
                LogReplay.assertSameDataset(dsg, fdsg, "follower after the revert");
            }
        }
    }
}
