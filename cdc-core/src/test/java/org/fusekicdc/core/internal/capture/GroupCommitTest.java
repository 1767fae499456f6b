package org.fusekicdc.core.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.changes.PatchSummary;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many of another log's records applied in one store transaction ({@link CapturingDatasetGraph#beginGroup}). */
class GroupCommitTest {
    @TempDir
    Path tmp;
    private DatasetGraph tdb;
    private ChangeLog log;
    private CapturingDatasetGraph dsg;

    @BeforeEach
    void open() {
        tdb = TDB2Factory.connectDataset(tmp.resolve("tdb").toString()).asDatasetGraph();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("changes"), "ds"));
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(tmp.resolve("spill")));
    }

    @AfterEach
    void close() {
        dsg.close();
        TDBInternal.expel(tdb);
    }

    private static Quad quad(int i) {
        return Quad.create(NodeFactory.createURI("http://ex/g"), NodeFactory.createURI("http://ex/s" + i), NodeFactory.createURI("http://ex/p"),
                           NodeFactory.createLiteralString("v" + i));
    }

    /** Identities of versions 1..n, chained as a leader's log would give them. */
    private static List<RecordMeta> chain(int n) {
        List<RecordMeta> metas = new ArrayList<>();
        UUID prev = null;
        for ( int v = 1 ; v <= n ; v++ ) {
            RecordMeta m = new RecordMeta(v, UUID.randomUUID(), prev, 1_700_000_000_000L + v);
            metas.add(m);
            prev = m.id();
        }
        return metas;
    }

    @Test
    void eachRecordOfAGroupKeepsItsOwnChangesAndIdentity() {
        List<RecordMeta> metas = chain(3);
        dsg.begin(TxnType.WRITE);
        try {
            dsg.beginGroup(metas.get(0), 3);
            dsg.add(quad(1));
            dsg.add(quad(2));
            dsg.appendAs(metas.get(0), Map.of(), 2);
            dsg.delete(quad(1));
            dsg.appendAs(metas.get(1), Map.of("user", "alice"), 1);
            dsg.add(quad(3));
            dsg.appendAs(metas.get(2), Map.of(), 1);
            assertEquals(0, log.publishedVersion(), "readers see none of the group before the store commits");
            dsg.commit();
        } finally {
            dsg.end();
        }
        assertEquals(3, log.publishedVersion());
        for ( RecordMeta m : metas )
            assertEquals(m, log.read(m.version()).meta());
        PatchSummary first = RDFPatchOps.summary(LogReplay.patch(log.read(1)));
        PatchSummary second = RDFPatchOps.summary(LogReplay.patch(log.read(2)));
        PatchSummary third = RDFPatchOps.summary(LogReplay.patch(log.read(3)));
        assertEquals(List.of(2L, 0L), List.of(first.getCountAddData(), first.getCountDeleteData()), "version 1: its two adds");
        assertEquals(List.of(0L, 1L), List.of(second.getCountAddData(), second.getCountDeleteData()), "version 2: its own delete");
        assertEquals(List.of(1L, 0L), List.of(third.getCountAddData(), third.getCountDeleteData()), "version 3: its own add");
        assertTrue(new String(log.read(2).payloadBytes()).contains("alice"), "version 2 keeps its headers");
        Txn.executeRead(dsg, () -> {
            assertFalse(dsg.contains(quad(1)));
            assertTrue(dsg.contains(quad(2)) && dsg.contains(quad(3)));
        });
    }

    @Test
    void aGroupAbortedLeavesNoRecordAndTheNextContinues() {
        List<RecordMeta> metas = chain(2);
        dsg.begin(TxnType.WRITE);
        try {
            dsg.beginGroup(metas.get(0), 2);
            dsg.add(quad(1));
            dsg.appendAs(metas.get(0), Map.of(), 1);
            dsg.add(quad(2));
            // Version 2 says it changed two quads; here it changed one: this dataset diverged.
            assertThrows(ReplicaDivergedException.class, () -> dsg.appendAs(metas.get(1), Map.of(), 2));
            dsg.abort();
        } finally {
            dsg.end();
        }
        assertEquals(0, log.headVersion(), "the group's records are removed with the transaction");
        assertNull(log.lastGroup(), "the group is forgotten: versions applied one at a time later are not taken for it after a crash");
        Txn.executeRead(dsg, () -> assertFalse(dsg.contains(quad(1))));
        Txn.executeWrite(dsg, () -> {
            dsg.beginGroup(metas.get(0), 2);
            dsg.add(quad(1));
            dsg.appendAs(metas.get(0), Map.of(), 1);
            dsg.add(quad(2));
            dsg.appendAs(metas.get(1), Map.of(), 1);
        });
        assertEquals(2, log.publishedVersion());
        assertEquals(metas.get(1), log.read(2).meta());
    }

    @Test
    void readersOnOtherThreadsLeaveAnOpenGroupAlone() throws Exception {
        List<RecordMeta> metas = chain(2);
        dsg.begin(TxnType.WRITE);
        try {
            dsg.beginGroup(metas.get(0), 2);
            dsg.add(quad(1));
            dsg.appendAs(metas.get(0), Map.of(), 1);
            // A query on another thread begins and ends its read transaction meanwhile.
            CompletableFuture<Boolean> read = CompletableFuture.supplyAsync(() -> Txn.calculateRead(dsg, () -> dsg.contains(quad(1))));
            assertFalse(read.get(), "the reader sees the state before the group");
            dsg.add(quad(2));
            dsg.appendAs(metas.get(1), Map.of(), 1);
            dsg.commit();
        } finally {
            dsg.end();
        }
        assertEquals(2, log.publishedVersion());
        Txn.executeRead(dsg, () -> assertTrue(dsg.contains(quad(1)) && dsg.contains(quad(2))));
    }

    @Test
    void changesAfterTheLastRecordOfAGroupAreNotCommitted() {
        List<RecordMeta> metas = chain(1);
        dsg.begin(TxnType.WRITE);
        try {
            dsg.beginGroup(metas.get(0), 1);
            dsg.add(quad(1));
            dsg.appendAs(metas.get(0), Map.of(), 1);
            dsg.add(quad(2));
            assertThrows(IllegalStateException.class, dsg::commit);
        } finally {
            dsg.end();
        }
        assertEquals(0, log.headVersion());
        Txn.executeRead(dsg, () -> assertFalse(dsg.contains(quad(1)) || dsg.contains(quad(2))));
    }
}
