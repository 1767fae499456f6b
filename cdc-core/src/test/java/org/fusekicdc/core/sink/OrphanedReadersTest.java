package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.sink.internal.OrphanedReaders;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which readers no sink owns, and what they keep from retention. */
class OrphanedReadersTest {
    @TempDir
    Path tmp;

    /** A log of 1024-byte segments with 30 commits and reader "sink.gone" left at version 5, reopened with {@code retention}. */
    private static ChangeLog logWithOrphan(Path dir, Retention retention) {
        ChangeLog log = ChangeLog.open(new ChangeLogConfig(dir.resolve("log"), "ds", false, 1024, Retention.KEEP_ALL));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        for ( int i = 0 ; i < 30 ; i++ ) {
            int x = i;
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p " + x + ")")));
        }
        log.reader("sink.gone").acknowledge(5);
        log.close();
        return ChangeLog.open(new ChangeLogConfig(dir.resolve("log"), "ds", false, 1024, retention));
    }

    /** The configured sinks: only "kept". */
    private static SinkRunners sinks(ChangeLog log) {
        SinkRunners d = new SinkRunners(log);
        d.add(new RecordingSink("kept"), SinkConfig.DEFAULTS);
        return d;
    }

    @Test
    void aReaderNoSinkOwnsIsListedWithTheVersionsAndSegmentsItKeeps() {
        try (ChangeLog log = logWithOrphan(tmp, new Retention(1, null, 0, false))) {
            SinkRunners sinks = sinks(log);
            List<OrphanedReaders.Orphan> orphans = OrphanedReaders.find(log, sinks);
            assertEquals(1, orphans.size(), orphans.toString());
            OrphanedReaders.Orphan o = orphans.getFirst();
            assertEquals("sink.gone", o.name());
            assertEquals(5, o.acknowledged());
            assertEquals(25, o.heldVersions());
            assertTrue(o.heldBytes() > 0 && o.heldBytes() < log.sizeBytes(), "the sealed segments after version 5, not the newest: " + o);
            assertEquals(Optional.of("kept"), OrphanedReaders.owningSink(sinks, "sink.kept"));
            assertEquals(Optional.empty(), OrphanedReaders.owningSink(sinks, "sink.gone"));
        }
    }

    @Test
    void anOrphanHoldsNothingBackWhenRetentionKeepsEverythingOrOverridesReaders() {
        List<Retention> policies = List.of(Retention.KEEP_ALL, new Retention(1, null, 0, true));
        for ( int i = 0 ; i < policies.size() ; i++ ) {
            Retention r = policies.get(i);
            try (ChangeLog log = logWithOrphan(tmp.resolve("policy" + i), r)) {
                OrphanedReaders.Orphan o = OrphanedReaders.find(log, sinks(log)).getFirst();
                assertEquals(new OrphanedReaders.Orphan("sink.gone", 5, 0, 0), o, r.toString());
            }
        }
    }
}
