package org.fusekicdc.source.mariadb;

import static org.fusekicdc.core.testing.TestMariaDb.sql;
import static org.fusekicdc.core.testing.TestMariaDb.txn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.CustomerTables;
import org.fusekicdc.source.relational.RelationalSource;
import org.fusekicdc.source.relational.SourceTestBase;
import org.junit.jupiter.api.Test;

/**
 * A MariaDB source against the machine's real MariaDB: initial snapshot, then each database
 * transaction as exactly one patch with the binlog position; TRUNCATE clears exactly the table's
 * triples; a restart applies nothing twice; a snapshot taken again leaves no row the database
 * no longer has.
 */
class MariaDbSourceIT extends SourceTestBase {
    MariaDbSourceIT() {
        super(() -> MariaDbTestDb.create("it_"), "country (code varchar(8) PRIMARY KEY, name text)",
              "customer (id int PRIMARY KEY, name text, born date, country varchar(8), score decimal(5,2), bio text)");
    }

    String config() {
        return database.sourceConfig(CustomerTables.mapping(database.namespace(), ""));
    }

    void start() {
        start(config());
    }

    @Test
    void snapshotThenEachTransactionIsOnePatchWithItsBinlogPositionAndTruncateClearsTheTable() throws Exception {
        sql("INSERT INTO " + table("country") + " VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + table("customer") + " VALUES (1, 'Ann', '1990-01-02', 'ch', 1.50, 'hello'), (2, 'Bob', NULL, NULL, NULL, NULL)");
        open();
        start();
        TestSupport.await("snapshot of 3 rows", WAIT, () -> subjectQuads("customer/2").size() == 2 && !subjectQuads("country/ch").isEmpty());
        assertEquals(customer1("Ann"), subjectQuads("customer/1"), "customer 1 from the snapshot (natural datatypes, language, foreign key)");
        TestSupport.await("the source running", WAIT, () -> source.status().state() == SourceStatus.State.RUNNING);
        // Every snapshot row is in the store, so its patch is in the log (appended before the
        // store commits), however many patches the snapshot took.
        long afterSnapshot = log.headVersion();
        awaitVersion(afterSnapshot);
        assertEquals("true", header(patch(afterSnapshot), PatchHeaders.SOURCE_SNAPSHOT));

        // One database transaction of several statements over two tables is one patch, with the
        // binlog position of its last row (the boundaries are read from the binlog: docs/sources.md).
        txn("INSERT INTO " + table("customer") + " (id, name) VALUES (3, 'Cy')",
            "INSERT INTO " + table("country") + " VALUES ('fr', 'France')",
            "UPDATE " + table("customer") + " SET name = 'Anne' WHERE id = 1",
            "DELETE FROM " + table("customer") + " WHERE id = 2");
        TestSupport.await("the transaction", WAIT, () -> subjectQuads("customer/2").isEmpty());
        assertEquals(customer1("Anne"), subjectQuads("customer/1"));
        assertEquals(afterSnapshot + 1, log.headVersion(), "the transaction's four statements are one patch");
        RDFPatch p = patch(afterSnapshot + 1);
        assertEquals("maria", header(p, PatchHeaders.SOURCE));
        assertEquals("mariadb", header(p, PatchHeaders.SOURCE_CONNECTOR));
        assertTrue(header(p, PatchHeaders.SOURCE_BINLOG).matches(".+\\.[0-9]+:[0-9]+:[0-9]+:[0-9]+"), "binlog header: " + header(p, PatchHeaders.SOURCE_BINLOG));
        assertTrue(String.valueOf(header(p, PatchHeaders.SOURCE_GTID)).matches("[0-9]+-[0-9]+-[0-9]+(,[0-9]+-[0-9]+-[0-9]+)*"),
                   "MariaDB's GTID position after the transaction: " + header(p, PatchHeaders.SOURCE_GTID));
        assertEquals(new TreeSet<>(List.of("A <" + EX + "customer/3> " + TYPE + " <" + EX + "Customer>", "A <" + EX + "customer/3> <" + EX + "name> \"Cy\"",
                                           "A <" + EX + "country/fr> " + TYPE + " <" + EX + "Country>", "A <" + EX + "country/fr> <" + EX + "label> \"France\"",
                                           "D <" + EX + "customer/1> <" + EX + "name> \"Ann\"", "A <" + EX + "customer/1> <" + EX + "name> \"Anne\"",
                                           "D <" + EX + "customer/2> " + TYPE + " <" + EX + "Customer>", "D <" + EX + "customer/2> <" + EX + "name> \"Bob\"")),
                     new TreeSet<>(changes(p)), "the patch holds exactly the transaction's changes");
        // The next transaction is the next patch.
        sql("INSERT INTO " + table("customer") + " (id, name) VALUES (5, 'Eve')");
        TestSupport.await("a later insert", WAIT, () -> !subjectQuads("customer/5").isEmpty());
        assertEquals(afterSnapshot + 2, log.headVersion(), "one more transaction, one more patch");

        // A rolled-back transaction leaves nothing; the next committed one is the next patch.
        try (var c = TestMariaDb.connect(); var st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO " + table("customer") + " (id, name) VALUES (99, 'Ghost')");
            c.rollback();
        }
        // TRUNCATE clears exactly the customers' triples; countries and triples written over HTTP stay.
        Txn.executeWrite(dsg, () -> dsg.add(Quad.create(iri("g/customers"), iri("customer/1"), iri("note"), iri("kept"))));
        long beforeTruncate = log.headVersion();
        sql("TRUNCATE TABLE " + table("customer"));
        awaitVersion(beforeTruncate + 1);
        assertEquals(Set.of("<" + EX + "g/customers> <" + EX + "customer/1> <" + EX + "note> <" + EX + "kept>"), subjectQuads("customer/1"),
                     "TRUNCATE removed the table's triples, not others on the same subject");
        assertTrue(subjectQuads("customer/3").isEmpty(), "TRUNCATE removed every row's triples");
        assertTrue(subjectQuads("customer/99").isEmpty(), "rolled-back insert absent");
        assertTrue(!subjectQuads("country/ch").isEmpty(), "the other table is untouched");
        awaitVersion(log.headVersion());   // published just after the dataset commit
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aRestartAppliesNothingTwiceAndARedoneSnapshotDropsRowsDeletedMeanwhile() throws Exception {
        sql("INSERT INTO " + table("customer") + " (id, name) VALUES (1, 'Ann'), (2, 'Bob')");
        open();
        start();
        TestSupport.await("snapshot", WAIT, () -> subjectQuads("customer/2").size() == 2 && source.status().state() == SourceStatus.State.RUNNING);
        sql("INSERT INTO " + table("customer") + " (id, name) VALUES (3, 'Cy')");
        TestSupport.await("streamed insert", WAIT, () -> !subjectQuads("customer/3").isEmpty());
        long head = log.headVersion();
        stop();

        // While stopped: a change; after the restart it is applied once, and nothing before it again.
        sql("UPDATE " + table("customer") + " SET name = 'Cyrus' WHERE id = 3");
        start();
        awaitVersion(head + 1);
        TestSupport.await("the update while stopped", WAIT, () -> subjectQuads("customer/3").contains(cq("customer/3", "<" + EX + "name>", "\"Cyrus\"")));
        sql("INSERT INTO " + table("customer") + " (id, name) VALUES (4, 'Di')");
        TestSupport.await("a later insert", WAIT, () -> !subjectQuads("customer/4").isEmpty());
        assertEquals(head + 2, log.headVersion(), "after a restart each transaction is one patch, none twice");
        stop();

        // The engine's offsets lost (as when a crash interrupts the snapshot): the snapshot is taken
        // again, and a row deleted in the meantime does not survive in the dataset.
        loseOffsets();
        sql("DELETE FROM " + table("customer") + " WHERE id = 2");
        start();
        // The snapshot may come in several engine batches: wait for all of its rows.
        TestSupport.await("the redone snapshot", WAIT, () -> subjectQuads("customer/2").isEmpty() && subjectQuads("customer/1").size() == 2
                                                             && subjectQuads("customer/4").size() == 2);
        assertEquals(Set.of(cq("customer/1", TYPE, "<" + EX + "Customer>"), cq("customer/1", "<" + EX + "name>", "\"Ann\"")), subjectQuads("customer/1"));
        assertEquals(Set.of(cq("customer/4", TYPE, "<" + EX + "Customer>"), cq("customer/4", "<" + EX + "name>", "\"Di\"")), subjectQuads("customer/4"));
        awaitVersion(log.headVersion());   // published just after the dataset commit
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aRedoneSnapshotOfTablesAllEmptiedMeanwhileClearsTheirTriples() throws Exception {
        // The engine's offsets lost, every table emptied: the snapshot taken again sends no row.
        assertARedoneSnapshotOfEmptiedTablesClearsTheirTriples(config(), this::loseOffsets, config());
    }

    @Test
    void aStatementLargerThanTheMemoryBudgetGoesToDiskAndEveryRowArrivesOnce() throws Exception {
        sql("INSERT INTO " + table("country") + " VALUES ('ch', 'Switzerland')");
        open();
        start(config().replace("cdc:retryInitialMillis 100 ;", "cdc:retryInitialMillis 100 ; cdc:spillThresholdRows 20 ;"));
        TestSupport.await("snapshot", WAIT, () -> !subjectQuads("country/ch").isEmpty() && source.status().state() == SourceStatus.State.RUNNING);
        long before = log.headVersion();
        // One statement of 100 short rows: one binlog rows event.
        sql("INSERT INTO " + table("customer") + " (id, name, score) SELECT seq, CONCAT('c', seq), seq / 100 FROM " + table("seq_1_to_100"));
        TestSupport.await("the 100 rows", WAIT, () -> subjectQuads("customer/100").size() == 3 && subjectQuads("customer/1").size() == 3);
        awaitVersion(log.headVersion());
        // The engine may deliver the statement's rows in two batches, each then a unit of its own
        // (docs/sources.md, MariaDB): whatever the split, rows past the budget went to disk.
        long spilled = ((RelationalSource)source).spilledRows();
        assertTrue(spilled > 0 && spilled <= 80, "the row changes past the first 20 of a unit went to disk, not the heap: " + spilled);
        List<String> all = new ArrayList<>();
        for ( long v = before + 1 ; v <= log.headVersion() ; v++ )
            all.addAll(changes(patch(v)));
        assertEquals(300, all.size(), "100 rows of 3 triples each, none twice");
        Set<String> last = subjectQuads("customer/100");
        assertTrue(last.size() == 3 && last.contains(cq("customer/100", "<" + EX + "name>", "\"c100\""))
                   && last.stream().anyMatch(q -> q.contains("<" + EX + "score> \"1") && q.endsWith("^^<http://www.w3.org/2001/XMLSchema#decimal>")),
                   "a spilled row read back with its types: " + last);
        awaitSpillFilesDeleted();
        LogReplay.assertLogReproduces(log, dsg);
    }
}
