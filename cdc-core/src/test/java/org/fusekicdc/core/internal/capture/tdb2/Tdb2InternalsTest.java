package org.fusekicdc.core.internal.capture.tdb2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.zip.Adler32;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.dboe.base.file.Location;
import org.apache.jena.dboe.transaction.txn.ComponentId;
import org.apache.jena.dboe.transaction.txn.journal.Journal;
import org.apache.jena.dboe.transaction.txn.journal.JournalEntryType;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.store.DatasetGraphTDB;
import org.apache.jena.tdb2.store.tupletable.TupleIndex;
import org.apache.jena.tdb2.store.tupletable.TupleIndexRecord;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The canary for a Jena upgrade: what the code of this package relies on in TDB2's internals,
 * checked against the Jena on the class path. Each failure names what changed and what it
 * breaks, so the upgrade stops here rather than in a captured dataset.
 */
class Tdb2InternalsTest {
    private static final Node S = NodeFactory.createURI("http://ex/s");
    private static final Node P = NodeFactory.createURI("http://ex/p");
    private static final Node G = NodeFactory.createURI("http://ex/g");

    @TempDir
    Path dir;

    // ---- Tdb2Classpath, Tdb2Adds

    @Test
    void theProbeClassStillExists() {
        assertTrue(Tdb2Classpath.present(), "Tdb2Classpath probes for " + Tdb2Classpath.PROBE + ", which this Jena no longer has: capture would"
                                            + " treat TDB2 as absent and write every quad through the generic, slower path."
                                            + " Probe for a TDB2 class that exists.");
    }

    @Test
    void tdb2DatasetsAreRecognisedAndTheirPrimaryIndexesAreRecordIndexes() {
        DatasetGraph tdb = DatabaseMgr.createDatasetGraph();
        assertNotNull(Tdb2Adds.forStore(tdb), "TDBInternal.isTDB2 no longer recognises a TDB2 dataset: capture falls back to the generic path");
        DatasetGraphTDB store = TDBInternal.getDatasetGraphTDB(tdb);
        TupleIndex triples = store.getTripleTable().getNodeTupleTable().getTupleTable().getIndexes()[0];
        TupleIndex quads = store.getQuadTable().getNodeTupleTable().getTupleTable().getIndexes()[0];
        for ( TupleIndex primary : List.of(triples, quads) )
            assertTrue(primary instanceof TupleIndexRecord, "TDB2's primary tuple index is now a " + primary.getClass().getName() + ", not a "
                                                            + TupleIndexRecord.class.getSimpleName() + ": Tdb2Adds can no longer learn from the"
                                                            + " B+tree insert whether a quad was new, and asks the index first (one more lookup per add)."
                                                            + " Adapt Tdb2Adds.insertIfAbsent.");
    }

    @Test
    void anAddSaysWhetherTheQuadWasNewAndReachesEveryIndex() {
        DatasetGraph tdb = DatabaseMgr.createDatasetGraph();
        Tdb2Adds adds = Tdb2Adds.forStore(tdb);
        Node o = NodeFactory.createLiteralString("o");
        for ( Node g : List.of(Quad.defaultGraphIRI, G) ) {
            Txn.executeWrite(tdb, () -> {
                assertNotNull(adds.addIfAbsent(g, S, P, o), "a new quad is reported as new");
                assertNull(adds.addIfAbsent(g, S, P, o), "TDB2's RangeIndex.insert no longer returns false for a key already present:"
                                                         + " Tdb2Adds would log the re-add of a quad as a change. Adapt Tdb2Adds.insertIfAbsent.");
            });
            Txn.executeRead(tdb, () -> {
                assertTrue(tdb.find(g, Node.ANY, Node.ANY, o).hasNext(), "the quad is missing from TDB2's object-first index: TDB2 now keeps"
                                                                         + " its secondary indexes differently from TupleTable.getIndexes()");
                assertTrue(tdb.find(g, Node.ANY, P, Node.ANY).hasNext(), "the quad is missing from TDB2's predicate-first index");
            });
        }
    }

    @Test
    void theTermsRecordedAreTheTermsTdb2ReadsBack() {
        List<Node> literals = List.of(literal("01.50", XSDDatatype.XSDdecimal), literal("007", XSDDatatype.XSDinteger),
                                      literal("-0", XSDDatatype.XSDinteger), literal("+5", XSDDatatype.XSDint),
                                      literal("12", XSDDatatype.XSDunsignedByte), literal("1", XSDDatatype.XSDboolean),
                                      literal("1.5e0", XSDDatatype.XSDdouble), literal("2024-01-02T03:04:05.000Z", XSDDatatype.XSDdateTime),
                                      literal("2024-01-02", XSDDatatype.XSDdate),
                                      literal("123456789012345678901234567890", XSDDatatype.XSDinteger),
                                      NodeFactory.createLiteralString("a string"));
        DatasetGraph tdb = DatabaseMgr.createDatasetGraph();
        Tdb2Adds adds = Tdb2Adds.forStore(tdb);
        for ( Node g : List.of(Quad.defaultGraphIRI, G) ) {
            for ( Node written : literals ) {
                Quad added = Txn.calculateWrite(tdb, () -> adds.addIfAbsent(g, S, P, written));
                Node readBack = Txn.calculateRead(tdb, () -> tdb.find(g, S, P, Node.ANY).next().getObject());
                assertEquals(readBack, added.getObject(), "TDB2 reads " + written + " back as " + readBack + " but Tdb2Adds records it as "
                                                          + added.getObject() + ": TDB2's inlining of literals in node ids (NodeId.inline,"
                                                          + " NodeId.extract, IntegerNode) changed, and the log would name a term the store does"
                                                          + " not hold. Adapt Tdb2Adds.stored.");
                assertEquals(readBack, Tdb2Adds.storedTerms(g, S, P, written).getObject(),
                             "Tdb2Adds.storedTerms (used for deletes) no longer gives the term TDB2 holds for " + written);
                Txn.executeWrite(tdb, () -> tdb.deleteAny(g, S, P, Node.ANY));
            }
        }
    }

    private static Node literal(String lexical, XSDDatatype type) {
        return NodeFactory.createLiteralDT(lexical, type);
    }

    // ---- Tdb2DataVersion

    @Test
    void aWriteCommitRaisesTheDataVersionByOneAndReadersSeeTheStateOfTheirs() throws Exception {
        DatasetGraph tdb = DatabaseMgr.createDatasetGraph();
        Tdb2DataVersion versions = Tdb2DataVersion.forStore(tdb);
        assertNotNull(versions, "TDBInternal.isTDB2 no longer recognises a TDB2 dataset: reads during a commit wait for it");
        long before = Txn.calculateRead(tdb, versions::ofReader);
        tdb.begin(TxnType.WRITE);
        long writer;
        long[] during;
        try {
            writer = versions.ofWriter();
            tdb.add(G, S, P, NodeFactory.createLiteralString("o"));
            during = CompletableFuture.supplyAsync(() -> Txn.calculateRead(tdb, () -> new long[] {versions.ofReader(), tdb.getGraph(G).size()})).get();
            tdb.commit();
        } finally {
            tdb.end();
        }
        long[] after = Txn.calculateRead(tdb, () -> new long[] {versions.ofReader(), tdb.getGraph(G).size()});
        String breaks = ": Tdb2DataVersion maps a read begun during a commit to the wrong version. Adapt it, or let such reads wait (KnownVersionReads).";
        assertEquals(before, writer, "A write transaction's data version is no longer the store's when it began" + breaks);
        assertEquals(before, during[0], "A read during an open write transaction no longer has the data version before it" + breaks);
        assertEquals(0, during[1]);
        assertEquals(before + 1, after[0], "A write transaction's commit no longer raises the data version by exactly one" + breaks);
        assertEquals(1, after[1]);
        assertEquals(-1, versions.ofReader(), "outside a transaction");
    }

    @Test
    void aReadCommittedPromotionGivesNoWriterDataVersion() {
        DatasetGraph tdb = DatabaseMgr.createDatasetGraph();
        Tdb2DataVersion versions = Tdb2DataVersion.forStore(tdb);
        tdb.begin(TxnType.READ_COMMITTED_PROMOTE);
        try {
            assertTrue(tdb.promote());
            // TDB2 keeps the data version the transaction began with, which a commit in between makes stale.
            assertEquals(-1, versions.ofWriter());
        } finally {
            tdb.abort();
            tdb.end();
        }
    }

    // ---- Tdb2JournalRepair

    @Test
    void aDatabaseKeepsItsJournalsAndLockWhereTheRepairLooks() throws IOException {
        Path db = dir.resolve("db");
        DatasetGraph open = DatabaseMgr.connectDatasetGraph(db.toString());
        try {
            Txn.executeWrite(open, () -> open.add(Quad.create(G, S, P, NodeFactory.createLiteralString("o"))));
            List<Path> journals;
            try (var storages = Files.newDirectoryStream(db, Tdb2JournalRepair.STORAGE_GLOB)) {
                journals = java.util.stream.StreamSupport.stream(storages.spliterator(), false)
                                                         .map(s -> s.resolve(Tdb2JournalRepair.JOURNAL_FILE)).filter(Files::isRegularFile).toList();
            }
            assertEquals(1, journals.size(), "TDB2 no longer keeps one journal at " + Tdb2JournalRepair.STORAGE_GLOB + "/"
                                             + Tdb2JournalRepair.JOURNAL_FILE + " in " + db + ": the journal repair would find nothing to repair");
            for ( Path lockDir : List.of(db, journals.get(0).getParent()) )
                assertTrue(lockedByThisProcess(lockDir.resolve(Tdb2JournalRepair.LOCK_FILE)),
                           "TDB2 no longer holds an operating-system lock on " + lockDir.resolve(Tdb2JournalRepair.LOCK_FILE)
                           + " while the database is open: the journal repair could cut the journal of a database in use");
        } finally {
            TDBInternal.expel(open);
        }
    }

    private static boolean lockedByThisProcess(Path lockFile) throws IOException {
        if ( !Files.isRegularFile(lockFile) )
            return false;
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if ( probe != null )
                probe.release();
            return false;
        } catch (OverlappingFileLockException ex) {
            return true;
        }
    }

    @Test
    void journalEntriesAreAHeaderThenTheDataUnderAnAdler32Checksum() throws IOException {
        Path storage = Files.createDirectories(dir.resolve("db/Data-0001"));
        byte[] data = "a block of redo data".getBytes(StandardCharsets.UTF_8);
        Journal journal = Journal.create(Location.create(storage.toString()));
        long redoEnd;
        long commitEnd;
        try {
            journal.write(JournalEntryType.REDO, ComponentId.allocLocal(), ByteBuffer.wrap(data));
            redoEnd = journal.size();
            journal.write(JournalEntryType.COMMIT, ComponentId.allocLocal(), null);
            commitEnd = journal.size();
            journal.sync();
        } finally {
            journal.close();
        }
        String layout = "TDB2's journal entry is no longer a " + Tdb2JournalRepair.HEADER_LENGTH + "-byte header (length, Adler-32 checksum,"
                        + " type, " + ComponentId.SIZE + "-byte component id) followed by the data: Tdb2JournalRepair would cut intact"
                        + " journals or keep torn ones. Adapt its layout constants and intactEntryEnd.";
        assertEquals(Tdb2JournalRepair.HEADER_LENGTH + data.length, redoEnd, layout);
        assertEquals(Tdb2JournalRepair.HEADER_LENGTH, commitEnd - redoEnd, layout + " (an entry without data)");
        ByteBuffer entry = ByteBuffer.wrap(Files.readAllBytes(storage.resolve(Tdb2JournalRepair.JOURNAL_FILE)), 0, (int)redoEnd).slice();
        assertEquals(data.length, entry.getInt(0), layout + " (the length field)");
        int checksum = entry.getInt(Tdb2JournalRepair.CHECKSUM_OFFSET);
        byte[] header = new byte[Tdb2JournalRepair.HEADER_LENGTH];
        entry.get(0, header);
        ByteBuffer.wrap(header).putInt(Tdb2JournalRepair.CHECKSUM_OFFSET, 0);
        Adler32 adler = new Adler32();
        adler.update(header);
        adler.update(data);
        assertEquals((int)adler.getValue(), checksum, layout + " (the checksum)");
        if ( Tdb2JournalRepair.cutTornTail(storage.resolve(Tdb2JournalRepair.JOURNAL_FILE)) != null )
            fail("Tdb2JournalRepair cut a journal TDB2 wrote intact: " + layout);
    }
}
