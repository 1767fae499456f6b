package org.fusekicdc.source.mariadb;

import static org.fusekicdc.core.testing.TestMariaDb.sql;
import static org.fusekicdc.core.testing.TestMariaDb.txn;
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
import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.r2rml.R2rmlMapping;
import org.fusekicdc.source.relational.R2rmlSourceChecks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MariaDB source with an R2RML mapping (cdc:r2rmlMapping, a file beside the configuration):
 * after the snapshot and after each transaction of inserts, updates and deletes over every
 * natural type, a join whose parent key changes, and a TRUNCATE, the dataset equals a fresh
 * evaluation of the whole mapping over the database; each transaction is one patch.
 */
class MariaDbR2rmlSourceIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    String db;
    CapturingDatasetGraph dsg;
    ChangeLog log;
    Source source;
    R2rmlMapping mapping;

    @BeforeEach
    void setUp() throws Exception {
        TestMariaDb.requireServer();
        db = TestMariaDb.unique("r2_");
        sql("CREATE DATABASE " + db,
            "CREATE TABLE " + db + ".item (id int PRIMARY KEY, name text, code varchar(8), price decimal(8,2), ratio double, weight float,"
            + " qty smallint, big bigint, active tinyint(1), flag bit(1), born date, at time(1), ts datetime(3), tstz timestamp NULL, data varbinary(16),"
            + " grade char(4), yr year)",
            "CREATE TABLE " + db + ".tag (id int PRIMARY KEY, label varchar(20), item_code varchar(8))");
        Files.writeString(work.resolve("shop.r2rml.ttl"), R2rmlSourceChecks.mapping(db, TYPED));
        mapping = R2rmlMapping.read(work.resolve("shop.r2rml.ttl"));
    }

    @AfterEach
    void tearDown() {
        if ( source != null )
            source.close();
        if ( dsg != null )
            dsg.close();
        if ( log != null )
            log.close();
        if ( db != null )
            TestMariaDb.dropDatabase(db);
    }

    static final List<String> TYPED = List.of("price", "ratio", "weight", "qty", "big", "active", "flag", "born", "at", "ts", "tstz", "data", "grade", "yr");

    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        DatasetGraph tdb = TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
    }

    void start() {
        String config = """
            <#source> a cdc:MariaDbSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:user "%s" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ;
                cdc:r2rmlMapping <%s> .
            """.formatted(TestMariaDb.HOST, TestMariaDb.PORT, TestMariaDb.USER, work.resolve("shop.r2rml.ttl").toUri());
        source = MariaDbTesting.source(dsg, "maria", config, work.resolve("source"), Map.of());
        source.start();
    }

    Set<String> dataset() {
        return R2rmlSourceChecks.datasetLines(dsg);
    }

    void awaitEqualsFreshMapping(String after) throws InterruptedException {
        R2rmlSourceChecks.awaitEqualsFreshMapping(after, WAIT, dsg, mapping, TestMariaDb::connect, () -> source.status());
    }

    @Test
    void theDatasetEqualsAFreshMappingAfterSnapshotChangesAndTruncate() throws Exception {
        String item = db + ".item", tag = db + ".tag";
        sql("INSERT INTO " + item + " VALUES (1, 'Lamp', 'L-1', 12.50, 80.25, 1.5, 3, 9007199254740993, 1, b'1', '1990-01-02', '10:11:12.5',"
            + " '2020-02-03 04:05:06.789', '2020-02-03 04:05:06', x'deadbeef', 'ab', 2024)",
            "INSERT INTO " + item + " (id, name) VALUES (2, 'Bare')",
            "INSERT INTO " + tag + " VALUES (1, 'bright', 'L-1'), (2, 'none', NULL)");
        open();
        start();
        TestSupport.await("snapshot", WAIT, () -> source.status().state() == SourceStatus.State.RUNNING && log.publishedVersion() >= 1);
        awaitEqualsFreshMapping("the snapshot");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("<http://example.org/tags>")), "the join gives a triple");
        assertEquals("true", LogReplay.patch(log.read(log.publishedVersion())).getHeader(PatchHeaders.SOURCE_SNAPSHOT).getLiteralLexicalForm());

        long before = log.headVersion();
        txn("INSERT INTO " + item + " VALUES (3, 'Desk', 'D-3', 2.00, -0.5, 0, -7, 0, 0, b'0', '2001-12-31', '00:00:00', '1999-12-31 23:59:59',"
            + " '1999-12-31 23:59:59', x'00', 'xyz', 1999)",
            "UPDATE " + item + " SET price = 13.75, active = 0, ts = '2021-01-01 00:00:00.001', name = NULL WHERE id = 1",
            "INSERT INTO " + tag + " VALUES (3, 'wood', 'D-3')");
        awaitEqualsFreshMapping("inserts and updates of every type");
        assertEquals(before + 1, log.headVersion(), "one database transaction of three statements over two tables, one patch");
        assertEquals("mariadb", LogReplay.patch(log.read(before + 1)).getHeader(PatchHeaders.SOURCE_CONNECTOR).getLiteralLexicalForm());

        // The parent's join key changes: the child's triple follows it.
        sql("UPDATE " + item + " SET code = 'L-9' WHERE id = 1", "UPDATE " + tag + " SET item_code = 'L-9' WHERE id = 2");
        awaitEqualsFreshMapping("a join key changed on both sides");
        sql("DELETE FROM " + item + " WHERE id = 3", "DELETE FROM " + tag + " WHERE id = 1");
        awaitEqualsFreshMapping("deletes");
        sql("TRUNCATE TABLE " + tag);
        awaitEqualsFreshMapping("TRUNCATE of one table");
        assertTrue(dataset().stream().anyMatch(l -> l.contains("/item/1>")) && dataset().stream().noneMatch(l -> l.contains("/tag/")),
                   "the truncated table's triples are gone, the other table's stay");
        TestSupport.await("published", WAIT, () -> log.publishedVersion() >= log.headVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }
}
