package org.fusekicdc.core.internal.follow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.atlas.io.IOX;
import org.apache.jena.rdfpatch.changes.RDFChangesApply;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.topic.TopicReader;

/**
 * RDF Patch input on a follower, as a leader's topic could hold it: any bytes, read as text or
 * binary RDF Patch, in a message whose headers make it the follower's next version. Whatever
 * the bytes, the follower applies the patch, sets it aside as a bad message, or halts, each
 * within a bound (never retried forever as if the store had failed); and a patch it applied holds
 * RDF terms only and is logged so that replaying the log onto another store gives the follower's data.
 * <p>
 * Inputs: {@code src/test/resources/org/fusekicdc/core/internal/follow/FollowerPatchFuzzTestInputs/}; the
 * first byte chooses text (even) or binary (odd). See docs/testing.md.
 */
class FollowerPatchFuzzTest {
    private static final Duration OUTCOME = Duration.ofSeconds(10);

    @FuzzTest
    void aPatchFromTheLeaderIsAppliedOrSetAsideNeverRetriedForever(byte[] input) throws Exception {
        if ( input.length == 0 )
            return;
        boolean binary = (input[0] & 1) == 1;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        Path dir = Files.createTempDirectory("follower-fuzz");
        try {
            follow(dir, binary, body);
        } finally {
            IOX.deleteAll(dir);
        }
    }

    private static void follow(Path dir, boolean binary, byte[] body) throws Exception {
        Path deadLetters = dir.resolve("dead-letter");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "replica"))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
            Map<String, String> headers = Map.of(PatchMessages.VERSION, "1", PatchMessages.ID, UUID.randomUUID().toString(),
                                                 PatchMessages.DATASET, "ds",
                                                 PatchMessages.CONTENT_TYPE, binary ? PatchRecord.BINARY : PatchRecord.TEXT);
            OneMessage source = new OneMessage(new TopicReader.PatchMessage(new PatchReassembler.Patch(headers, 1, null, body), "offset 0"));
            FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.DEAD_LETTER, FollowerConfig.OnGap.HALT, deadLetters,
                                                       null, null, null, Duration.ofMillis(10), Duration.ofMillis(50));
            try (Follower follower = new Follower(dsg, source, config, dir.resolve("work"))) {
                follower.start();
                awaitOutcome(follower, log, deadLetters);
                source.finish();
            }
            if ( log.headVersion() == 1 ) {
                Set<Quad> applied = quads(dsg);
                assertTrue(applied.stream().allMatch(Quad::isConcrete), () -> "a follower stored what is not an RDF term: " + applied);
                assertEquals(applied, quads(replay(log.read(1).payloadBytes())),
                             "replaying the logged patch onto an empty dataset gives the follower's data");
            }
        }
    }

    /** Applied (version 1 logged), set aside (a dead letter) or halted, within the bound. */
    private static void awaitOutcome(Follower follower, ChangeLog log, Path deadLetters) throws Exception {
        TestSupport.await("the follower to apply, set aside or halt on the patch (" + follower.status() + ")", OUTCOME,
                          () -> log.headVersion() == 1 || follower.status().state() == FollowerState.HALTED || hasFiles(deadLetters));
    }

    private static boolean hasFiles(Path dir) {
        try (var files = Files.list(dir)) {
            return files.findAny().isPresent();
        } catch (IOException ex) {
            return false;
        }
    }

    private static DatasetGraph replay(byte[] patch) {
        DatasetGraph replica = DatasetGraphFactory.createTxnMem();
        new RDFPatchReaderText(new ByteArrayInputStream(patch)).apply(new RDFChangesApply(replica));
        return replica;
    }

    private static Set<Quad> quads(DatasetGraph dsg) {
        return Txn.calculateRead(dsg, () -> {
            Set<Quad> all = new HashSet<>();
            dsg.find().forEachRemaining(all::add);
            return all;
        });
    }

    /** A source holding one message, then nothing; once finished, polls return at once so that the follower stops without waiting. */
    private static final class OneMessage implements TopicReader {
        private final BlockingQueue<Optional<Incoming>> queue = new LinkedBlockingQueue<>();

        OneMessage(Incoming message) {
            queue.add(Optional.of(message));
        }

        void finish() {
            queue.add(Optional.empty());
        }

        @Override
        public String describe() {
            return "fuzz input";
        }

        @Override
        public void open(long afterVersion) {}

        @Override
        public Optional<Incoming> poll(Duration timeout) throws InterruptedException {
            Optional<Incoming> next = queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if ( next != null && next.isEmpty() )
                queue.add(next);
            return next == null ? Optional.empty() : next;
        }

        @Override
        public void close() {}
    }
}
