package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.fusekicdc.core.testing.TestPostgres.txn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.source.relational.RelationalSource;

/**
 * A PostgreSQL source against the machine's real PostgreSQL: initial snapshot, then each database
 * transaction as exactly one patch with the source's headers; inserts, updates and deletes give
 * exactly the changed triples; rolled-back transactions leave nothing.
 */
class PostgresSourceIT {
    static final Duration WAIT = Duration.ofSeconds(60);
    static final String EX = "http://example.org/";

    @TempDir
    Path work;

    String schema;
    String slot;
    CapturingDatasetGraph dsg;
    ChangeLog log;
    Source source;

    @BeforeEach
    void setUp() {
        TestPostgres.requireServer();
        schema = TestPostgres.unique("it_");
        slot = TestPostgres.unique("fcdc_it_");
        sql("CREATE SCHEMA " + schema,
            "CREATE TABLE " + schema + ".country (code text PRIMARY KEY, name text)",
            "CREATE TABLE " + schema + ".customer (id int PRIMARY KEY, name text, born date, country text, score numeric(5,2), bio text, age text)");
    }

    @AfterEach
    void tearDown() {
        PgTesting.closeAll(source, dsg, log, slot, schema);
    }

    String config(String extra) {
        return """
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ;
                %s
                cdc:table [
                    cdc:tableName "%s.customer" ;
                    cdc:subjectTemplate "http://example.org/customer/{id}" ;
                    cdc:class ex:Customer ;
                    cdc:graph <http://example.org/g/customers> ;
                    cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] ,
                               [ cdc:columnName "born" ; cdc:predicate ex:born ] ,
                               [ cdc:columnName "score" ; cdc:predicate ex:score ] ,
                               [ cdc:columnName "bio" ; cdc:predicate ex:bio ; cdc:language "en" ] ,
                               [ cdc:columnName "age" ; cdc:predicate ex:age ; cdc:datatype xsd:integer ] ,
                               [ cdc:columnName "country" ; cdc:predicate ex:country ; cdc:objectTemplate "http://example.org/country/{country}" ]
                ] ;
                cdc:table [
                    cdc:tableName "%s.country" ;
                    cdc:subjectTemplate "http://example.org/country/{code}" ;
                    cdc:class ex:Country ;
                    cdc:column [ cdc:columnName "name" ; cdc:predicate ex:label ]
                ] .
            """.formatted(TestPostgres.HOST, TestPostgres.PORT, TestPostgres.DATABASE, TestPostgres.USER, slot, slot, extra, schema, schema);
    }

    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        DatasetGraph tdb = TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
    }

    Source start(String extra) {
        source = PgTesting.source(dsg, "pg", config(extra), work.resolve("source"), Map.of());
        source.start();
        return source;
    }

    static Node iri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    static final Node CUSTOMERS = iri("g/customers");

    /** The dataset's quads, as N-Quads lines, sorted. */
    Set<String> quads() {
        return Txn.calculateRead(dsg, () -> {
            Set<String> s = new TreeSet<>();
            dsg.find().forEachRemaining(q -> s.add(NodeFmtLib.strNT(q.getGraph()) + " " + NodeFmtLib.strNT(q.getSubject()) + " "
                                                    + NodeFmtLib.strNT(q.getPredicate()) + " " + NodeFmtLib.strNT(q.getObject())));
            return s;
        });
    }

    Set<String> subjectQuads(String subject) {
        Set<String> s = new TreeSet<>();
        for ( String q : quads() ) {
            if ( q.contains(" <" + EX + subject + "> ") )
                s.add(q);
        }
        return s;
    }

    static String q(String graph, String s, String p, String o) {
        return "<" + EX + graph + "> <" + EX + s + "> " + p + " " + o;
    }

    static String cq(String s, String p, String o) {
        return q("g/customers", s, p, o);
    }

    static final String TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>";

    void awaitVersion(long v) throws InterruptedException {
        TestSupport.await("change log version " + v + " (source status " + (source == null ? "-" : source.status()) + ")", WAIT,
                        () -> log.publishedVersion() >= v);
    }

    /** The patch of a version: its adds and deletes as N-Quads-ish lines. */
    static List<String> changes(RDFPatch patch) {
        List<String> out = new ArrayList<>();
        patch.apply(new org.apache.jena.rdfpatch.changes.RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                out.add("A " + NodeFmtLib.strNT(s) + " " + NodeFmtLib.strNT(p) + " " + NodeFmtLib.strNT(o));
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                out.add("D " + NodeFmtLib.strNT(s) + " " + NodeFmtLib.strNT(p) + " " + NodeFmtLib.strNT(o));
            }
        });
        return out;
    }

    RDFPatch patch(long version) {
        return LogReplay.patch(log.read(version));
    }

    static String header(RDFPatch p, String name) {
        Node n = p.getHeader(name);
        return n == null ? null : n.getLiteralLexicalForm();
    }

    @Test
    void snapshotLoadsExistingRowsThenEachTransactionIsOnePatchWithExactlyItsChanges() throws Exception {
        sql("INSERT INTO " + schema + ".country VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + schema + ".customer VALUES (1, 'Ann', '1990-01-02', 'ch', 1.50, 'hello', '42'), (2, 'Bob', NULL, NULL, NULL, NULL, NULL)");
        open();
        start("");
        awaitVersion(1);
        TestSupport.await("snapshot of 3 rows", WAIT, () -> subjectQuads("customer/2").size() == 2 && !subjectQuads("country/ch").isEmpty());
        assertEquals(Set.of(cq("customer/1", TYPE, "<" + EX + "Customer>"),
                            cq("customer/1", "<" + EX + "name>", "\"Ann\""),
                            cq("customer/1", "<" + EX + "born>", "\"1990-01-02\"^^<http://www.w3.org/2001/XMLSchema#date>"),
                            cq("customer/1", "<" + EX + "score>", "\"1.5\"^^<http://www.w3.org/2001/XMLSchema#decimal>"),
                            cq("customer/1", "<" + EX + "bio>", "\"hello\"@en"),
                            cq("customer/1", "<" + EX + "age>", "\"42\"^^<http://www.w3.org/2001/XMLSchema#integer>"),
                            cq("customer/1", "<" + EX + "country>", "<" + EX + "country/ch>")),
                     subjectQuads("customer/1"), "customer 1 from the snapshot (default datatypes, language, datatype, foreign key)");
        assertEquals(Set.of(cq("customer/2", TYPE, "<" + EX + "Customer>"), cq("customer/2", "<" + EX + "name>", "\"Bob\"")),
                     subjectQuads("customer/2"), "NULL columns give no triple");
        long afterSnapshot = log.publishedVersion();
        RDFPatch snap = patch(afterSnapshot);
        assertEquals("pg", header(snap, PatchHeaders.SOURCE));
        assertEquals("true", header(snap, PatchHeaders.SOURCE_SNAPSHOT));

        // One database transaction with an insert, an update of one column and a delete: one patch.
        txn("INSERT INTO " + schema + ".customer (id, name) VALUES (3, 'Cy')",
            "UPDATE " + schema + ".customer SET name = 'Anne' WHERE id = 1",
            "DELETE FROM " + schema + ".customer WHERE id = 2");
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
            st.execute("INSERT INTO " + schema + ".customer (id, name) VALUES (99, 'Ghost')");
            st.execute("UPDATE " + schema + ".customer SET name = 'Nobody' WHERE id = 1");
            c.rollback();
        }
        sql("UPDATE " + schema + ".customer SET score = 2.25, country = NULL WHERE id = 1");
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
        sql("INSERT INTO " + schema + ".country VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + schema + ".customer (id, name) VALUES (1, 'Ann'), (2, 'Bob')");
        open();
        start("");
        TestSupport.await("snapshot", WAIT, () -> subjectQuads("customer/2").size() == 2 && source.status().state() == SourceStatus.State.RUNNING);
        Txn.executeWrite(dsg, () -> dsg.add(org.apache.jena.sparql.core.Quad.create(CUSTOMERS, iri("customer/1"), iri("note"), iri("kept"))));
        long before = log.publishedVersion();
        sql("TRUNCATE " + schema + ".customer");
        awaitVersion(before + 1);
        assertEquals(Set.of(q("g/customers", "customer/1", "<" + EX + "note>", "<" + EX + "kept>")), subjectQuads("customer/1"),
                     "TRUNCATE removed the table's triples, not others on the same subject");
        assertTrue(subjectQuads("customer/2").isEmpty());
        assertTrue(!subjectQuads("country/ch").isEmpty(), "the other table is untouched");
        sql("INSERT INTO " + schema + ".customer (id, name) VALUES (3, 'Cy'), (4, 'Di')");
        TestSupport.await("streamed inserts", WAIT, () -> !subjectQuads("customer/4").isEmpty());
        source.close();
        source = null;

        // The engine's offsets lost (as when a crash interrupts the snapshot): the snapshot is
        // taken again, and a row deleted in the meantime does not survive in the dataset.
        java.nio.file.Files.delete(work.resolve("source").resolve("offsets.dat"));
        TestPostgres.dropAll(slot, slot, "none_" + schema);
        sql("DELETE FROM " + schema + ".customer WHERE id = 3");
        start("cdc:snapshotMode \"when_needed\" ;");
        TestSupport.await("the redone snapshot", WAIT, () -> subjectQuads("customer/3").isEmpty() && source.status().state() == SourceStatus.State.RUNNING);
        assertEquals(Set.of(cq("customer/4", TYPE, "<" + EX + "Customer>"), cq("customer/4", "<" + EX + "name>", "\"Di\"")), subjectQuads("customer/4"));
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aTransactionLargerThanTheMemoryBudgetGoesToDiskAndIsStillOneDatasetTransaction() throws Exception {
        sql("INSERT INTO " + schema + ".country VALUES ('ch', 'Switzerland')");
        open();
        start("cdc:spillThresholdRows 50 ;");
        TestSupport.await("snapshot", WAIT, () -> !subjectQuads("country/ch").isEmpty() && source.status().state() == SourceStatus.State.RUNNING);
        long before = log.publishedVersion();
        // 1,001 row changes, the last one updating a row the transaction inserted in its first 50.
        txn("INSERT INTO " + schema + ".customer (id, name, score) SELECT g, 'c' || g, g / 100.0 FROM generate_series(1, 1000) g",
            "UPDATE " + schema + ".customer SET name = 'last' WHERE id = 1");
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
        try (var files = java.nio.file.Files.list(work.resolve("source").resolve("spill"))) {
            assertEquals(0, files.count(), "the spill file is deleted once applied");
        }
        LogReplay.assertLogReproduces(log, dsg);
    }
}
