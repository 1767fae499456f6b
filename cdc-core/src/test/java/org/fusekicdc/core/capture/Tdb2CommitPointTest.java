package org.fusekicdc.core.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Tdb2CommitPointTest {
    @TempDir
    Path tmp;

    @Test
    void commitsAreLoggedAndKeptBeforeAndAfterACompactionSwitchesTheStorage() {
        DatasetGraph base = TDB2Factory.connectDataset(tmp.resolve("tdb2").toString()).asDatasetGraph();
        Quad before = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> 1)");
        Quad after = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> 2)");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(tmp.resolve("spill")));
            Txn.executeWrite(dsg, () -> dsg.add(before));
            DatabaseMgr.compact(base, true);
            Txn.executeWrite(dsg, () -> dsg.add(after));
            assertEquals(2, log.headVersion());
            assertEquals(2, log.publishedVersion());
            Txn.executeRead(dsg, () -> assertTrue(dsg.contains(before) && dsg.contains(after)));
            dsg.close();
        } finally {
            TDBInternal.expel(base);
        }
    }
}
