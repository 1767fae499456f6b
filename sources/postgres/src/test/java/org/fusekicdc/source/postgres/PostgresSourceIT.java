package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.fusekicdc.core.testing.TestPostgres.txn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.CustomerTables;
import org.fusekicdc.source.relational.RelationalSource;
import org.fusekicdc.source.relational.SourceTestBase;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL source against the machine's real PostgreSQL: initial snapshot, then each database
 * transaction as exactly one patch with the source's headers; inserts, updates and deletes give
 * exactly the changed triples; rolled-back transactions leave nothing.
 */
class PostgresSourceIT extends SourceTestBase {
    PostgresSourceIT() {
        super(() -> PostgresTestDb.create("it_"), "country (code text PRIMARY KEY, name text)",
              "customer (id int PRIMARY KEY, name text, born date, country text, score numeric(5,2), bio text, age text)");
    }

    /** The customer and country tables, after the options {@code extra}. */
    String config(String extra) {
        return database.sourceConfig(extra + "\n" + CustomerTables.mapping(database.namespace(), ",\n    [ cdc:columnName \"age\" ; cdc:predicate ex:age ; cdc:datatype xsd:integer ] "));
    }

    @Test
    void snapshotLoadsExistingRowsThenEachTransactionIsOnePatchWithExactlyItsChanges() throws Exception {
        sql("INSERT INTO " + table("country") + " VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + table("customer") + " VALUES (1, 'Ann', '1990-01-02', 'ch', 1.50, 'hello', '42'), (2, 'Bob', NULL, NULL, NULL, NULL, NULL)");
        open();
        start(config(""));
        awaitVersion(1);
        TestSupport.await("snapshot of 3 rows", WAIT, () -> subjectQuads("customer/2").size() == 2 && !subjectQuads("country/ch").isEmpty());
        assertEquals(customer1("Ann", cq("customer/1", "<" + EX + "age>", "\"42\"^^<http://www.w3.org/2001/XMLSchema#integer>")),
                     subjectQuads("customer/1"), "customer 1 from the snapshot (default datatypes, language, datatype, foreign key)");
        assertEquals(Set.of(cq("customer/2", TYPE, "<" + EX + "Customer>"), cq("customer/2", "<" + EX + "name>", "\"Bob\"")),
                     subjectQuads("customer/2"), "NULL columns give no triple");
        // Every snapshot row is in the store, so its patch is in the log (appended before the
        // store commits), however many patches the snapshot took.
        long afterSnapshot = log.headVersion();
        awaitVersion(afterSnapshot);
        RDFPatch snap = patch(afterSnapshot);
        assertEquals("pg", header(snap, PatchHeaders.SOURCE));
        assertEquals("true", header(snap, PatchHeaders.SOURCE_SNAPSHOT));

        // One database transaction with an insert, an update of one column and a delete: one patch.
        txn("INSERT INTO " + table("customer") + " (id, name) VALUES (3, 'Cy')",
            "UPDATE " + table("customer") + " SET name = 'Anne' WHERE id = 1",
            "DELETE FROM " + table("customer") + " WHERE id = 2");
        awaitVersion(afterSnapshot + 1);
        Thread.sleep(300);  // a second patch for the same transaction would show now
        assertEquals(afterSnapshot + 1, log.publishedVersion(), "one database transaction, one patch");
        RDFPatch p = patch(afterSnapshot + 1);
        assertEquals("pg", header(p, PatchHeaders.SOURCE));
        assertEquals("postgresql", header(p, PatchHeaders.SOURCE_CONNECTOR));
        assertNotNull(header(p, PatchHeaders.SOURCE_TXID), "source transaction id header");
        assertTrue(header(p, PatchHeaders.SOURCE_LSN).matches("[0-9A-F]+/[0-9A-F]+"), "LSN header: " + header(p, PatchHeaders.SOURCE_LSN));
        assertEquals(new TreeSet<>(List.of(
                         "A <" + EX + "customer/3> " + TYPE + " <" + EX + "Customer>",
                         "A <" + EX + "customer/3> <" + EX + "name> \"Cy\"",
                         "D <" + EX + "customer/1> <" + EX + "name> \"Ann\"",
                         "A <" + EX + "customer/1> <" + EX + "name> \"Anne\"",
                         "D <" + EX + "customer/2> " + TYPE + " <" + EX + "Customer>",
                         "D <" + EX + "customer/2> <" + EX + "name> \"Bob\"")),
                     new TreeSet<>(changes(p)), "the patch holds exactly the changed values");

        // A rolled-back transaction leaves nothing; the next committed one is the next patch.
        try (var c = TestPostgres.connect(); var st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("INSERT INTO " + table("customer") + " (id, name) VALUES (99, 'Ghost')");
            st.execute("UPDATE " + table("customer") + " SET name = 'Nobody' WHERE id = 1");
            c.rollback();
        }
        sql("UPDATE " + table("customer") + " SET score = 2.25, country = NULL WHERE id = 1");
        awaitVersion(afterSnapshot + 2);
        Thread.sleep(300);
        assertEquals(afterSnapshot + 2, log.publishedVersion(), "the rolled-back transaction made no patch");
        assertEquals(new TreeSet<>(List.of("D <" + EX + "customer/1> <" + EX + "score> \"1.5\"^^<http://www.w3.org/2001/XMLSchema#decimal>",
                                           "A <" + EX + "customer/1> <" + EX + "score> \"2.25\"^^<http://www.w3.org/2001/XMLSchema#decimal>",
                                           "D <" + EX + "customer/1> <" + EX + "country> <" + EX + "country/ch>")),
                     new TreeSet<>(changes(patch(afterSnapshot + 2))), "update to NULL removes the triple");
        assertTrue(subjectQuads("customer/99").isEmpty(), "rolled-back insert absent");
        assertTrue(subjectQuads("customer/1").contains(cq("customer/1", "<" + EX + "name>", "\"Anne\"")), "rolled-back update absent");
        assertEquals(SourceStatus.State.RUNNING, source.status().state());
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void truncateClearsExactlyTheTablesTriplesAndARedoneSnapshotDropsRowsDeletedMeanwhile() throws Exception {
        String note = startOnTwoCustomersWithANote(config(""));
        // Every row so far is in the store, so its patch is in the log, however many the snapshot took.
        long before = log.headVersion();
        awaitVersion(before);
        sql("TRUNCATE " + table("customer"));
        awaitVersion(before + 1);
        assertEquals(Set.of(note), subjectQuads("customer/1"),
                     "TRUNCATE removed the table's triples, not others on the same subject");
        assertTrue(subjectQuads("customer/2").isEmpty());
        assertTrue(!subjectQuads("country/ch").isEmpty(), "the other table is untouched");
        sql("INSERT INTO " + table("customer") + " (id, name) VALUES (3, 'Cy'), (4, 'Di')");
        TestSupport.await("streamed inserts", WAIT, () -> !subjectQuads("customer/4").isEmpty());
        stop();

        // The engine's offsets lost (as when a crash interrupts the snapshot): the snapshot is
        // taken again, and a row deleted in the meantime does not survive in the dataset.
        loseOffsetsAndSlot();
        sql("DELETE FROM " + table("customer") + " WHERE id = 3");
        start(config("cdc:snapshotMode \"when_needed\" ;"));
        // The redone snapshot may take more than one patch: wait for its end state, not its first step.
        Set<String> customer4 = Set.of(cq("customer/4", TYPE, "<" + EX + "Customer>"), cq("customer/4", "<" + EX + "name>", "\"Di\""));
        TestSupport.await("the redone snapshot", WAIT, () -> subjectQuads("customer/3").isEmpty() && customer4.equals(subjectQuads("customer/4"))
                                                             && source.status().state() == SourceStatus.State.RUNNING);
        awaitVersion(log.headVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aRedoneSnapshotOfTablesAllEmptiedMeanwhileClearsTheirTriples() throws Exception {
        // The engine's offsets and slot lost, every table emptied: the snapshot taken again sends no row.
        assertARedoneSnapshotOfEmptiedTablesClearsTheirTriples(config(""), this::loseOffsetsAndSlot, config("cdc:snapshotMode \"when_needed\" ;"));
    }

    @Test
    void aTransactionLargerThanTheMemoryBudgetGoesToDiskAndIsStillOneDatasetTransaction() throws Exception {
        sql("INSERT INTO " + table("country") + " VALUES ('ch', 'Switzerland')");
        open();
        start(config("cdc:spillThresholdRows 50 ;"));
        TestSupport.await("snapshot", WAIT, () -> !subjectQuads("country/ch").isEmpty() && source.status().state() == SourceStatus.State.RUNNING);
        awaitVersion(1);   // the snapshot's patch is published just after the dataset shows it
        long before = log.publishedVersion();
        // 1,001 row changes, the last one updating a row the transaction inserted in its first 50.
        txn("INSERT INTO " + table("customer") + " (id, name, score) SELECT g, 'c' || g, g / 100.0 FROM generate_series(1, 1000) g",
            "UPDATE " + table("customer") + " SET name = 'last' WHERE id = 1");
        awaitVersion(before + 1);
        Thread.sleep(300);  // a second patch for the same transaction would show now
        assertEquals(before + 1, log.publishedVersion(), "one database transaction, one patch");
        assertEquals(951, ((RelationalSource)source).spilledRows(), "the row changes past the first 50 went to disk, not the heap");
        List<String> changes = changes(patch(before + 1));
        assertEquals(3000, changes.size(), "1,000 rows of 3 triples each, all in the one patch");
        assertTrue(changes.stream().allMatch(c -> c.startsWith("A ")), "an insert adds only");
        assertEquals(Set.of(cq("customer/1", TYPE, "<" + EX + "Customer>"), cq("customer/1", "<" + EX + "name>", "\"last\""),
                            cq("customer/1", "<" + EX + "score>", "\"0.01\"^^<http://www.w3.org/2001/XMLSchema#decimal>")),
                     subjectQuads("customer/1"), "the spilled update applied after the in-memory insert of the same row");
        Set<String> last = subjectQuads("customer/1000");
        assertTrue(last.size() == 3 && last.contains(cq("customer/1000", "<" + EX + "name>", "\"c1000\""))
                   && last.stream().anyMatch(q -> q.contains("<" + EX + "score> \"10") && q.endsWith("^^<http://www.w3.org/2001/XMLSchema#decimal>")),
                   "a spilled row read back with its types: " + last);
        awaitSpillFilesDeleted();
        LogReplay.assertLogReproduces(log, dsg);
    }

    /** The engine's offsets and its replication slot lost: the next start takes the snapshot again, from a new slot. */
    private void loseOffsetsAndSlot() throws IOException {
        loseOffsets();
        TestPostgres.dropAll(PostgresTestDb.slot(database), PostgresTestDb.slot(database), "none_" + database.namespace());
    }
}
