package org.fusekicdc.core.internal.snapshot;

import org.apache.jena.rdfpatch.RDFPatchOps;

import org.apache.jena.rdfpatch.RDFPatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
    @TempDir
    Path tmp;

    private ChangeLog log;
    private DatasetGraph base;

    @AfterEach
    void close() {
        if ( log != null )
            log.close();
        if ( base != null )
            TDBInternal.expel(base);
    }

    private CapturingDatasetGraph capture() {
        base = TDB2Factory.connectDataset(tmp.resolve("tdb2").toString()).asDatasetGraph();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        return CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(tmp.resolve("spill")));
    }

    private static void write(CapturingDatasetGraph dsg, String quad) {
        Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad(quad)));
    }

    @Test
    void aSnapshotHoldsExactlyTheVersionItNamesWhileWritesGoOn() throws Exception {
        CapturingDatasetGraph dsg = capture();
        write(dsg, "(_ <http://example/s> <http://example/p> 1)");
        write(dsg, "(<http://example/g> <http://example/s> <http://example/p> 2)");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Snapshot s = Snapshot.begin(dsg)) {
            assertEquals(2, s.version());
            // A writer commits version 3 while the snapshot is open: it is not blocked, and not in the snapshot.
            CompletableFuture.runAsync(() -> write(dsg, "(_ <http://example/s> <http://example/p> 3)")).get();
            assertEquals(3, log.publishedVersion());
            assertEquals(2, s.writeTo(out));
        }
        RDFPatch patch = RDFPatchOps.read(new java.io.ByteArrayInputStream(out.toByteArray()));
        assertEquals("2", patch.getHeader("version").getLiteralLexicalForm());
        assertEquals("ds", patch.getHeader("dataset").getLiteralLexicalForm());
        DatasetGraph copy = DatasetGraphFactory.createTxnMem();
        RDFPatchOps.applyChange(copy, patch);
        assertEquals(2, copy.stream().count());
        assertTrue(copy.contains(SSE.parseQuad("(_ <http://example/s> <http://example/p> 1)")));
        assertTrue(copy.contains(SSE.parseQuad("(<http://example/g> <http://example/s> <http://example/p> 2)")));
        assertFalse(copy.contains(SSE.parseQuad("(_ <http://example/s> <http://example/p> 3)")));
    }

    @Test
    void aSnapshotFileIsNamedByDatasetAndVersion() throws Exception {
        CapturingDatasetGraph dsg = capture();
        write(dsg, "(_ <http://example/s> <http://example/p> 1)");
        Snapshot.Written w = Snapshot.writeFile(dsg, tmp.resolve("snapshots"));
        assertEquals(1, w.version());
        assertEquals(1, w.quads());
        Path f = w.file();
        assertEquals("ds-1.rdfp", f.getFileName().toString());
        assertEquals(1, Snapshot.readHeader(f).version());
        assertEquals(List.of(f), Files.list(tmp.resolve("snapshots")).toList(), "no temporary file left behind");
        assertFalse(dsg.isInTransaction(), "the read transaction is ended");
    }
}
