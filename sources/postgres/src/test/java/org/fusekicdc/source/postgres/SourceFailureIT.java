package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.source.relational.SourceFailureTestBase;
import org.junit.jupiter.api.Test;

/**
 * What a user sees when PostgreSQL is down, restarts, is not set up, or sends a row the mapping
 * cannot take ({@link SourceFailureTestBase} for the failures every source shares).
 */
class SourceFailureIT extends SourceFailureTestBase {
    SourceFailureIT() {
        super(() -> PostgresTestDb.create("fail_"));
    }

    @Override
    protected String config(String host, int port, String extra, String column) {
        String slot = PostgresTestDb.slot(database);
        return """
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ; cdc:snapshotMode "no_data" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 500 ;
                %s
            """.formatted(host, port, TestPostgres.DATABASE, TestPostgres.USER, slot, slot, extra) + itemMapping(column);
    }

    String config(int port, String extra, String column) {
        return config(TestPostgres.HOST, port, extra, column);
    }

    @Override
    protected String host() {
        return TestPostgres.HOST;
    }

    @Override
    protected int port() {
        return TestPostgres.PORT;
    }

    /** cdc:snapshotMode "no_data": the stream starts where the slot is created. */
    @Override
    protected void awaitStreaming() throws InterruptedException {
        String slot = PostgresTestDb.slot(database);
        TestSupport.await("replication slot " + slot + " active", WAIT, () -> {
            try (var c = TestPostgres.connect(); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active")) {
                return rs.next();
            } catch (Exception ex) {
                return false;
            }
        });
    }

    @Test
    void aMappingThatDoesNotFitTheTableStopsStartUpNamingTheColumn() {
        SourceException ex = assertThrows(SourceException.class, () -> start(config(TestPostgres.PORT, "", "nope")));
        assertTrue(ex.getMessage().contains("has no column 'nope'") && ex.getMessage().contains(table("item")), ex.getMessage());
        assertEquals(State.FAILED, source.status().state());
    }

    @Test
    void aMissingSlotAfterStreamingStopsStartUpSayingWhatWasLostAndWhatToDo() throws Exception {
        start(config(TestPostgres.PORT, "", "n"));
        awaitStreaming();
        sql("INSERT INTO " + table("item") + " VALUES (1, '1', 'one')");
        TestSupport.await("first change applied", WAIT, () -> log.publishedVersion() == 1);
        source.close();
        source = null;
        TestPostgres.dropAll(PostgresTestDb.slot(database), PostgresTestDb.slot(database), "nothing_" + database.namespace());
        SourceException ex = assertThrows(SourceException.class, () -> start(config(TestPostgres.PORT, "", "n")));
        assertTrue(ex.getMessage().contains("replication slot '" + PostgresTestDb.slot(database) + "' does not exist") && ex.getMessage().contains("when_needed"), ex.getMessage());
    }

    @Test
    void aDatabaseRestartIsRetriedAndNothingIsLostOrAppliedTwice() throws Exception {
        List<String> restart = pgRestartCommand();
        start(config(TestPostgres.PORT, "", "n"));
        awaitStreaming();
        for ( int i = 1 ; i <= 5 ; i++ )
            sql("INSERT INTO " + table("item") + " VALUES (" + i + ", '" + i + "', 'before " + i + "')");
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
            sql("INSERT INTO " + table("item") + " VALUES (" + i + ", '" + i + "', 'after " + i + "')");
        // The five may arrive together while the source reconnects, then one patch applies them all.
        TestSupport.await("10 transactions applied (status " + source.status() + ")", Duration.ofSeconds(120), () -> appliedTransactions() >= 10);
        Thread.sleep(500);
        assertEquals(10, appliedTransactions(), "each transaction once");
        assertEquals(10, labels().size());
        assertEquals(State.RUNNING, source.status().state());
        LogReplay.assertLogReproduces(log, dsg);
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
