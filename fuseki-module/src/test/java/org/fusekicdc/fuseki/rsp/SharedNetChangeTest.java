package org.fusekicdc.fuseki.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The continuous queries of one step share the net change they read the dataset's past through: the log is read once per step, not per query. */
class SharedNetChangeTest {
    @TempDir
    Path dir;

    private static Quad quad(int i) {
        return Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/s" + i), NodeFactory.createURI("http://example/p"),
                           NodeFactory.createLiteralString("v" + i));
    }

    @Test
    void readersOfTheSameVersionsShareOneReadOfTheLogAndSeeThePast() {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            for ( int i = 1 ; i <= 5 ; i++ ) {
                int n = i;
                Txn.executeWrite(dsg, () -> dsg.add(quad(n)));
            }
            SharedNetChange shared = new SharedNetChange(log, AsOfRead.DEFAULT_MAX_CHANGED_QUADS);
            for ( int query = 0 ; query < 3 ; query++ ) {
                try (AsOfRead read = AsOfRead.begin(dsg, 2, null, shared)) {
                    assertTrue(read.dataset().contains(quad(2)), "version 2 holds the second quad");
                    assertFalse(read.dataset().contains(quad(3)), "version 2 does not hold the third");
                }
            }
            assertEquals(1, shared.reads(), "three readers of version 2 at head 5: one read of the log");
            NetChange first = shared.between(2, 5);
            NetChange other = shared.between(3, 5);
            assertNotSame(first, other);
            assertEquals(2, shared.reads(), "another version is read afresh");
            assertSame(other, shared.between(3, 5));
            assertTrue(other.isAdded(quad(4)) && !other.isAdded(quad(3)), "the net change after version 3 holds what versions 4 and 5 added");
        } finally {
            dsg.close();
        }
    }
}
