package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.fusekicdc.core.testing.TestPostgres.txn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.r2rml.R2rmlMapping;
import org.fusekicdc.source.relational.R2rmlSourceChecks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PostgreSQL source with an R2RML mapping (cdc:r2rmlMapping, a file beside the configuration):
 * after the snapshot and after each transaction of inserts, updates and deletes over every
 * natural type, a join whose parent key changes, and a TRUNCATE, the dataset equals a fresh
 * evaluation of the whole mapping over the database; each transaction is one patch.
 */
class PostgresR2rmlSourceIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    String schema;
    String slot;
    CapturingDatasetGraph dsg;
    ChangeLog log;
    Source source;
    R2rmlMapping mapping;

    @BeforeEach
    void setUp() throws Exception {
        TestPostgres.requireServer();
        schema = TestPostgres.unique("r2_");
        slot = TestPostgres.unique("fcdc_r2_");
        sql("CREATE SCHEMA " + schema,
            "CREATE TABLE " + schema + ".item (id int PRIMARY KEY, name text, code varchar(8), price numeric(8,2), ratio double precision, weight real,"
            + " qty smallint, big bigint, active boolean, born date, at time, ts timestamp, tstz timestamptz, data bytea, grade char(4), ref uuid)",
            "CREATE TABLE " + schema + ".tag (id int PRIMARY KEY, label varchar(20), item_code varchar(8))");
        Files.writeString(work.resolve("shop.r2rml.ttl"), R2rmlSourceChecks.mapping(schema, TYPED));
        mapping = R2rmlMapping.read(work.resolve("shop.r2rml.ttl"));
    }

    @AfterEach
    void tearDown() {
        PgTesting.closeAll(source, dsg, log, slot, schema);
    }

    static final List<String> TYPED = List.of("price", "ratio", "weight", "qty", "big", "active", "born", "at", "ts", "tstz", "data", "grade", "ref");

    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        DatasetGraph tdb = TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
    }

    void start() {
        String config = """
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ;
                cdc:r2rmlMapping <%s> .
            """.formatted(TestPostgres.HOST, TestPostgres.PORT, TestPostgres.DATABASE, TestPostgres.USER, slot, slot, work.resolve("shop.r2rml.ttl").toUri());
        source = PgTesting.source(dsg, "pg", config, work.resolve("source"), Map.of());
        source.start();
    }

    Set<String> dataset() {
        return R2rmlSourceChecks.datasetLines(dsg);
    }

    void awaitEqualsFreshMapping(String after) throws InterruptedException {
        R2rmlSourceChecks.awaitEqualsFreshMapping(after, WAIT, dsg, mapping, TestPostgres::connect, () -> source.status());
    }

    @Test
    void theDatasetEqualsAFreshMappingAfterSnapshotChangesAndTruncate() throws Exception {
        String item = schema + ".item", tag = schema + ".tag";
        sql("INSERT INTO " + item + " VALUES (1, 'Lamp', 'L-1', 12.50, 80.25, 1.5, 3, 9007199254740993, true, '1990-01-02', '10:11:12.5',"
            + " '2020-02-03 04:05:06.789', '2020-02-03 04:05:06+02', '\\xdeadbeef', 'ab', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
            "INSERT INTO " + item + " (id, name) VALUES (2, 'Bare')",
            "INSERT INTO " + tag + " VALUES (1, 'bright', 'L-1'), (2, 'none', NULL)");
        open();
        start();
        TestSupport.await("snapshot", WAIT, () -> source.status().state() == SourceStatus.State.RUNNING && log.publishedVersion() >= 1);
        awaitEqualsFreshMapping("the snapshot");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("<http://example.org/tags>")), "the join gives a triple");
        assertEquals("true", LogReplay.patch(log.read(log.publishedVersion())).getHeader(PatchHeaders.SOURCE_SNAPSHOT).getLiteralLexicalForm());

        long before = log.headVersion();
        txn("INSERT INTO " + item + " VALUES (3, 'Desk', 'D-3', 2.00, -0.5, 0, -7, 0, false, '2001-12-31', '00:00:00', '1999-12-31 23:59:59',"
            + " '1999-12-31 23:59:59+00', '\\x00', 'xyz', NULL)",
            "UPDATE " + item + " SET price = 13.75, active = false, ts = '2021-01-01 00:00:00.000001', name = NULL WHERE id = 1",
            "INSERT INTO " + tag + " VALUES (3, 'wood', 'D-3')");
        awaitEqualsFreshMapping("inserts and updates of every type");
        assertEquals(before + 1, log.headVersion(), "one database transaction, one patch");
        assertEquals("postgresql", LogReplay.patch(log.read(before + 1)).getHeader(PatchHeaders.SOURCE_CONNECTOR).getLiteralLexicalForm());

        // The parent's join key changes: the child's triple follows it.
        sql("UPDATE " + item + " SET code = 'L-9' WHERE id = 1", "UPDATE " + tag + " SET item_code = 'L-9' WHERE id = 2");
        awaitEqualsFreshMapping("a join key changed on both sides");
        sql("DELETE FROM " + item + " WHERE id = 3", "DELETE FROM " + tag + " WHERE id = 1");
        awaitEqualsFreshMapping("deletes");
        sql("TRUNCATE " + tag);
        awaitEqualsFreshMapping("TRUNCATE of one table");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("/item/1>")) && dataset().stream().noneMatch(l -> l.contains("/tag/")),
                   "the truncated table's triples are gone, the other table's stay");
        TestSupport.await("published", WAIT, () -> log.publishedVersion() >= log.headVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }
}
