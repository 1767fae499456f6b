package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.apache.jena.dboe.transaction.txn.ComponentId;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Fuseki killed while TDB2 writes a journal entry leaves a header without its data; TDB2 alone
 * then refuses to open the database. The captured dataset starts anyway, with every committed
 * change and the version sequence intact.
 */
class TornTdbJournalIT {
    @TempDir
    Path work;

    @Test
    void serverStartsAfterAKillTornTheStoresJournal() throws IOException {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 1 }").statusCode());
        }
        // What a kill between TDB2's two journal writes leaves: an entry header (length, checksum,
        // type REDO, component) announcing 64 bytes of data that never came.
        ByteBuffer header = ByteBuffer.allocate(12 + ComponentId.SIZE).putInt(64).putInt(0x1234).putInt(1);
        Files.write(work.resolve("databases/ds/Data-0001/journal.jrnl"), header.array(), StandardOpenOption.APPEND);

        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://ex/s> <http://ex/p> 2 }").statusCode());
            CapturingDatasetGraph dsg = f.dataset("ds");
            assertEquals(2L, dsg.changeLog().headVersion(), "the version sequence continues");
            assertTrue(Txn.calculateRead(dsg, () -> dsg.getDefaultGraph().size() == 2), "both committed writes are there");
        }
    }
}
