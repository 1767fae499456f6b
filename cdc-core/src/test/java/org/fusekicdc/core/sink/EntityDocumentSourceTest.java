package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.FormatOptions;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entity documents read the dataset whose sinks send them, handed down from its runners with
 * each patch: two datasets of the same name in one JVM (two servers, or one re-created) each
 * send their own state, and a patch that comes without its dataset is refused saying why.
 */
class EntityDocumentSourceTest {
    private static final MessageFormat ENTITY = FormatOptions.format(new OptionValues("entities", Map.of("format", "entity")));
    private static final SinkConfig FAST = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    @TempDir
    Path tmp;

    @Test
    void twoDatasetsOfOneNameEachSendTheirOwnState() throws Exception {
        try (ChangeLog logA = log("a"); ChangeLog logB = log("b")) {
            CapturingDatasetGraph a = dataset(logA, "a"), b = dataset(logB, "b");
            Txn.executeWrite(a, () -> a.add(SSE.parseQuad("(<http://example/g> <http://example/alice> <http://example/name> 'from a')")));
            Txn.executeWrite(b, () -> b.add(SSE.parseQuad("(<http://example/g> <http://example/alice> <http://example/name> 'from b')")));
            DocumentSink sinkA = new DocumentSink(), sinkB = new DocumentSink();
            try (SinkRunners runnersA = new SinkRunners(logA, new AsOfSource(a)); SinkRunners runnersB = new SinkRunners(logB, new AsOfSource(b))) {
                runnersA.add(sinkA, FAST);
                runnersB.add(sinkB, FAST);
                runnersA.start();
                runnersB.start();
                TestSupport.await("both sinks delivered version 1", Duration.ofSeconds(20),
                                  () -> runnersA.status().getFirst().cursor() == 1 && runnersB.status().getFirst().cursor() == 1);
            }
            assertEquals(1, sinkA.documents.size(), String.valueOf(sinkA.documents));
            assertEquals(1, sinkB.documents.size(), String.valueOf(sinkB.documents));
            assertTrue(sinkA.documents.getFirst().contains("from a") && !sinkA.documents.getFirst().contains("from b"), sinkA.documents.getFirst());
            assertTrue(sinkB.documents.getFirst().contains("from b") && !sinkB.documents.getFirst().contains("from a"), sinkB.documents.getFirst());
        }
    }

    @Test
    void aPatchWithoutItsDatasetIsRefusedSayingWhy() {
        try (ChangeLog log = log("a")) {
            CapturingDatasetGraph dsg = dataset(log, "a");
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(<http://example/g> <http://example/alice> <http://example/name> 'x')")));
            IOException ex = assertThrows(IOException.class,
                                          () -> ENTITY.messages(new PatchRecord("ds", log.read(1)), Map.of(), 1 << 20, tmp.resolve("tmp"), (h, v) -> {}));
            assertTrue(ex.getMessage().contains("version 1 of 'ds'") && ex.getMessage().contains("captured dataset's own sinks"), ex.getMessage());
        }
    }

    @Test
    void aRunnerRefusesTheSourceOfAnotherDataset() {
        try (ChangeLog logA = log("a"); ChangeLog logB = log("b")) {
            dataset(logA, "a");
            CapturingDatasetGraph b = dataset(logB, "b");
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> new SinkRunner(logA, new AsOfSource(b), new DocumentSink(), FAST));
            assertTrue(ex.getMessage().contains("pass the dataset this log captures"), ex.getMessage());
        }
    }

    private ChangeLog log(String dir) {
        return ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve(dir).resolve("log"), "ds").withFsync(false));
    }

    private CapturingDatasetGraph dataset(ChangeLog log, String dir) {
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve(dir).resolve("spill")));
    }

    /** Keeps the entity documents of each patch it is given. */
    private final class DocumentSink implements Sink {
        final List<String> documents = new CopyOnWriteArrayList<>();

        @Override
        public String name() {
            return "entities";
        }

        @Override
        public long open() {
            return UNKNOWN;
        }

        @Override
        public void deliver(PatchRecord patch) throws SinkException {
            try {
                ENTITY.messages(patch, Map.of(), 1 << 20, tmp.resolve("tmp"), (h, v) -> documents.add(new String(v, StandardCharsets.UTF_8)));
            } catch (IOException ex) {
                throw SinkException.permanentFailure("version " + patch.version() + ": " + ex.getMessage(), ex);
            }
        }

        @Override
        public void close() {}
    }
}
