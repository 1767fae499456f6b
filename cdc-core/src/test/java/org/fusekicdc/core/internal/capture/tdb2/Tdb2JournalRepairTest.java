package org.fusekicdc.core.internal.capture.tdb2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.apache.jena.dboe.base.file.Location;
import org.apache.jena.dboe.transaction.txn.ComponentId;
import org.apache.jena.dboe.transaction.txn.journal.Journal;
import org.apache.jena.dboe.transaction.txn.journal.JournalEntryType;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Journals are written by TDB2's own {@link Journal}, so the format checked is the one TDB2 writes. */
class Tdb2JournalRepairTest {
    private static final Quad QUAD = Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/s"),
                                                 NodeFactory.createURI("http://ex/p"), NodeFactory.createLiteralString("o"));
    private static final ComponentId COMPONENT = ComponentId.allocLocal();

    @TempDir
    Path dir;

    @Test
    void tdb2OpensAgainAfterAProcessDiedBetweenAJournalEntrysHeaderAndItsData() throws IOException {
        Path db = dir.resolve("db");
        DatasetGraph dsg = TDB2Factory.connectDataset(db.toString()).asDatasetGraph();
        Txn.executeWrite(dsg, () -> dsg.add(QUAD));
        TDBInternal.expel(dsg);
        Path storage = db.resolve("Data-0001");
        // An uncommitted transaction's redo entry whose data never reached the file. TDB2 alone
        // refuses to open this database ("Failed to read the journal entry data"); a failed open
        // keeps the database locked in this JVM, so that is not tried here.
        long[] ends = writeRedoEntries(storage, "a block of redo data");
        truncate(storage.resolve("journal.jrnl"), ends[0] - 10);

        List<Tdb2JournalRepair.Cut> cuts = Tdb2JournalRepair.repairTornTail(db);

        assertEquals(1, cuts.size());
        assertEquals(0, cuts.get(0).keptBytes());
        DatasetGraph reopened = TDB2Factory.connectDataset(db.toString()).asDatasetGraph();
        try {
            assertTrue(Txn.calculateRead(reopened, () -> reopened.contains(QUAD)), "committed data survives");
            Txn.executeWrite(reopened, () -> reopened.delete(QUAD));
        } finally {
            TDBInternal.expel(reopened);
        }
    }

    @Test
    void keepsEveryCompleteEntryAndCutsFromTheFirstDamagedOne() throws IOException {
        Path storage = Files.createDirectories(dir.resolve("db/Data-0001"));
        long[] ends = writeRedoEntries(storage, "first", "second", "third");
        Path journal = storage.resolve("journal.jrnl");
        flipByte(journal, ends[1] - 1);             // the second entry's data: its checksum no longer matches

        List<Tdb2JournalRepair.Cut> cuts = Tdb2JournalRepair.repairTornTail(dir.resolve("db"));

        assertEquals(1, cuts.size());
        assertEquals(ends[0], cuts.get(0).keptBytes());
        assertEquals(ends[2] - ends[0], cuts.get(0).removedBytes());
        assertEquals(ends[0], Files.size(journal));
    }

    @Test
    void leavesAnIntactJournalAlone() throws IOException {
        Path storage = Files.createDirectories(dir.resolve("db/Data-0001"));
        long[] ends = writeEntries(storage, true, "one", "two");

        assertTrue(Tdb2JournalRepair.repairTornTail(dir.resolve("db")).isEmpty());
        assertEquals(ends[2], Files.size(storage.resolve("journal.jrnl")));
    }

    @Test
    void neverTouchesADatabaseThatIsOpen() throws IOException {
        Path db = dir.resolve("db");
        DatasetGraph open = TDB2Factory.connectDataset(db.toString()).asDatasetGraph();
        try {
            Txn.executeWrite(open, () -> open.add(QUAD));
            Path journal = db.resolve("Data-0001/journal.jrnl");
            Files.write(journal, new byte[] {0, 0, 0, 64, 1, 2}, StandardOpenOption.APPEND);
            long size = Files.size(journal);

            assertTrue(Tdb2JournalRepair.repairTornTail(db).isEmpty());
            assertEquals(size, Files.size(journal));
            Files.write(journal, new byte[0], StandardOpenOption.TRUNCATE_EXISTING);
        } finally {
            TDBInternal.expel(open);
        }
    }

    private static long[] writeRedoEntries(Path storage, String... data) {
        return writeEntries(storage, false, data);
    }

    /** Writes REDO entries (and a COMMIT if asked) with TDB2's journal; returns the end of each entry. */
    private static long[] writeEntries(Path storage, boolean commit, String... redoData) {
        Journal journal = Journal.create(Location.create(storage.toString()));
        try {
            long[] ends = new long[redoData.length + (commit ? 1 : 0)];
            for ( int i = 0 ; i < redoData.length ; i++ ) {
                journal.write(JournalEntryType.REDO, COMPONENT, ByteBuffer.wrap(redoData[i].getBytes(StandardCharsets.UTF_8)));
                ends[i] = journal.size();
            }
            if ( commit ) {
                journal.write(JournalEntryType.COMMIT, COMPONENT, null);
                ends[redoData.length] = journal.size();
            }
            journal.sync();
            return ends;
        } finally {
            journal.close();
        }
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        }
    }

    private static void flipByte(Path file, long position) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[(int)position] ^= 1;
        Files.write(file, bytes);
    }
}
