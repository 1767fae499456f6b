package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.fusekicdc.core.testing.TestPostgres.txn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;

/** What a user sees when the database is down, restarts, is not set up, or sends a row the mapping cannot take. */
class SourceFailureIT {
    static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path work;

    String schema;
    String slot;
    ChangeLog log;
    CapturingDatasetGraph dsg;
    Source source;

    @BeforeEach
    void setUp() {
        TestPostgres.requireServer();
        schema = TestPostgres.unique("fail_");
        slot = TestPostgres.unique("fcdc_fail_");
        sql("CREATE SCHEMA " + schema, "CREATE TABLE " + schema + ".item (id int PRIMARY KEY, n text, label text)");
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        DatasetGraph tdb = TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
        dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
    }

    @AfterEach
    void tearDown() {
        PgTesting.closeAll(source, dsg, log, slot, schema);
    }

    String config(int port, String extra, String column) {
        return """
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ; cdc:snapshotMode "no_data" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 500 ;
                %s
                cdc:table [
                    cdc:tableName "%s.item" ;
                    cdc:subjectTemplate "http://example.org/item/{id}" ;
                    cdc:column [ cdc:columnName "%s" ; cdc:predicate ex:n ; cdc:datatype xsd:integer ] ,
                               [ cdc:columnName "label" ; cdc:predicate ex:label ]
                ] .
            """.formatted(TestPostgres.HOST, port, TestPostgres.DATABASE, TestPostgres.USER, slot, slot, extra, schema, column);
    }

    Source start(String turtle) {
        source = PgTesting.source(dsg, "pg", turtle, work.resolve("source"), Map.of());
        source.start();
        return source;
    }

    void awaitSlot() throws InterruptedException {
        TestSupport.await("replication slot " + slot + " active", WAIT, () -> {
            try (var c = TestPostgres.connect(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active")) {
                return rs.next();
            } catch (Exception ex) {
                return false;
            }
        });
    }

    Set<String> labels() {
        return Txn.calculateRead(dsg, () -> {
            Set<String> s = new TreeSet<>();
            dsg.find(null, null, org.apache.jena.graph.NodeFactory.createURI("http://example.org/label"), null)
               .forEachRemaining(q -> s.add(q.getObject().getLiteralLexicalForm()));
            return s;
        });
    }

    @Test
    void unreachableDatabaseKeepsRetryingWithTheReasonInTheStatus() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        start(config(port, "", "n"));   // does not throw: the database may come later
        TestSupport.await("status RETRYING", WAIT, () -> source.status().state() == State.RETRYING);
        String msg = source.status().message();
        assertTrue(msg.contains("not reachable") && msg.contains(":" + port), msg);
    }

    @Test
    void aMappingThatDoesNotFitTheTableStopsStartUpNamingTheColumn() {
        SourceException ex = assertThrows(SourceException.class, () -> start(config(TestPostgres.PORT, "", "nope")));
        assertTrue(ex.getMessage().contains("has no column 'nope'") && ex.getMessage().contains(schema + ".item"), ex.getMessage());
        assertEquals(State.FAILED, source.status().state());
    }

    @Test
    void aMissingSlotAfterStreamingStopsStartUpSayingWhatWasLostAndWhatToDo() throws Exception {
        start(config(TestPostgres.PORT, "", "n"));
        awaitSlot();
        sql("INSERT INTO " + schema + ".item VALUES (1, '1', 'one')");
        TestSupport.await("first change applied", WAIT, () -> log.publishedVersion() == 1);
        source.close();
        source = null;
        TestPostgres.dropAll(slot, slot, "nothing_" + slot);
        SourceException ex = assertThrows(SourceException.class, () -> start(config(TestPostgres.PORT, "", "n")));
        assertTrue(ex.getMessage().contains("replication slot '" + slot + "' does not exist") && ex.getMessage().contains("when_needed"), ex.getMessage());
    }

    @Test
    void anUnmappableRowStopsTheSourceNamingTableKeyAndReasonAndLeavesItsTransactionOut() throws Exception {
        start(config(TestPostgres.PORT, "", "n"));
        awaitSlot();
        sql("INSERT INTO " + schema + ".item VALUES (1, '1', 'one')");
        TestSupport.await("first change applied", WAIT, () -> log.publishedVersion() == 1);
        txn("INSERT INTO " + schema + ".item VALUES (2, '2', 'two')", "INSERT INTO " + schema + ".item VALUES (3, 'three', 'three')");
        TestSupport.await("status FAILED", WAIT, () -> source.status().state() == State.FAILED);
        String msg = source.status().message();
        assertTrue(msg.contains("table " + schema + ".item") && msg.contains("id=3") && msg.contains("\"three\" is not a valid xsd:integer")
                   && msg.contains("cdc:onUnmappableRow"), msg);
        assertEquals(1, log.publishedVersion(), "nothing of the failed transaction is applied");
        assertEquals(Set.of("one"), labels());
    }

    @Test
    void anUnmappableRowIsSkippedWhenConfiguredAndTheRestOfItsTransactionApplied() throws Exception {
        start(config(TestPostgres.PORT, "cdc:onUnmappableRow \"skip\" ;", "n"));
        awaitSlot();
        txn("INSERT INTO " + schema + ".item VALUES (2, '2', 'two')", "INSERT INTO " + schema + ".item VALUES (3, 'three', 'three')");
        TestSupport.await("transaction applied", WAIT, () -> log.publishedVersion() == 1);
        assertEquals(Set.of("two"), labels());
        assertEquals(State.RUNNING, source.status().state());
    }

    @Test
    void aDatabaseRestartIsRetriedAndNothingIsLostOrAppliedTwice() throws Exception {
        List<String> restart = pgRestartCommand();
        start(config(TestPostgres.PORT, "", "n"));
        awaitSlot();
        for ( int i = 1 ; i <= 5 ; i++ )
            sql("INSERT INTO " + schema + ".item VALUES (" + i + ", '" + i + "', 'before " + i + "')");
        TestSupport.await("5 transactions applied", WAIT, () -> labels().size() == 5 && appliedTransactions() == 5);
        Process p = new ProcessBuilder(restart).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0, "restart failed: " + out);
        TestSupport.await("PostgreSQL back", WAIT, () -> {
            try (var c = TestPostgres.connect()) {
                return true;
            } catch (Exception ex) {
                return false;
            }
        });
        for ( int i = 6 ; i <= 10 ; i++ )
            sql("INSERT INTO " + schema + ".item VALUES (" + i + ", '" + i + "', 'after " + i + "')");
        // The five may arrive together while the source reconnects, then one patch applies them all.
        TestSupport.await("10 transactions applied (status " + source.status() + ")", Duration.ofSeconds(120), () -> appliedTransactions() >= 10);
        Thread.sleep(500);
        assertEquals(10, appliedTransactions(), "each transaction once");
        assertEquals(10, labels().size());
        assertEquals(State.RUNNING, source.status().state());
        LogReplay.assertLogReproduces(log, dsg);
    }

    /** The database transactions the log's patches apply (a patch applies several, sourceTransactions, when the source was behind). */
    long appliedTransactions() {
        long n = 0;
        for ( var r : log.readAfter(0, Integer.MAX_VALUE) ) {
            var group = org.fusekicdc.core.testing.LogReplay.patch(r).getHeader(org.fusekicdc.core.wire.PatchHeaders.SOURCE_TRANSACTIONS);
            n += group == null ? 1 : Long.parseLong(group.getLiteralLexicalForm());
        }
        return n;
    }

    /** The command that restarts the local cluster, or skip (fail under CI) without one. */
    static List<String> pgRestartCommand() throws IOException {
        Path etc = Path.of("/etc/postgresql");
        String problem = null;
        List<String> cmd = null;
        if ( !Files.isDirectory(etc) || !"127.0.0.1".equals(TestPostgres.HOST) ) {
            problem = "no local Debian PostgreSQL cluster (/etc/postgresql) to restart";
        } else {
            try (var versions = Files.list(etc)) {
                String version = versions.map(v -> v.getFileName().toString()).sorted().reduce((a, b) -> b).orElse(null);
                if ( version == null )
                    problem = "no cluster under /etc/postgresql";
                else
                    cmd = List.of("pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart");
            }
        }
        if ( problem != null ) {
            TestSupport.skipOrFail("the database restart test cannot restart PostgreSQL: " + problem + ".");
        }
        return cmd;
    }
}
