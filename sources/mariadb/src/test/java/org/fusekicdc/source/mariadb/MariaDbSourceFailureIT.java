package org.fusekicdc.source.mariadb;

import static org.fusekicdc.core.testing.TestMariaDb.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.source.relational.SourceFailureTestBase;
import org.fusekicdc.source.relational.TcpProxy;
import org.junit.jupiter.api.Test;

/**
 * What a user sees when MariaDB is down or drops the source's connections, no longer has the
 * binlog of the last applied position, or sends a row the mapping cannot take
 * ({@link SourceFailureTestBase} for the failures every source shares). The server is shared with
 * other tests, so it is never stopped: an outage is a proxy in front of it that cuts every
 * connection and refuses new ones.
 */
class MariaDbSourceFailureIT extends SourceFailureTestBase {
    /** A replica server id of this test's own: two binlog readers with one id end each other's connection. */
    private final long serverId = 100_000 + ThreadLocalRandom.current().nextInt(100_000);

    MariaDbSourceFailureIT() {
        super(() -> MariaDbTestDb.create("fail_"));
    }

    @Override
    protected String config(String host, int port, String extra, String column) {
        return """
            <#source> a cdc:MariaDbSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:user "%s" ; cdc:serverId %d ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 500 ;
                %s
            """.formatted(host, port, TestMariaDb.USER, serverId, extra) + itemMapping(column);
    }

    @Override
    protected String host() {
        return TestMariaDb.HOST;
    }

    @Override
    protected int port() {
        return TestMariaDb.PORT;
    }

    /**
     * The snapshot done and the binlog followed: Debezium's streaming metrics (in this JVM) say
     * Connected. A row committed earlier may be in the snapshot's patch, which the tests do not expect.
     */
    @Override
    protected void awaitStreaming() throws InterruptedException {
        MBeanServer beans = ManagementFactory.getPlatformMBeanServer();
        TestSupport.await("the binlog followed (status " + source.status() + ")", WAIT, () -> {
            try {
                for ( ObjectName n : beans.queryNames(new ObjectName("debezium.mysql:type=connector-metrics,context=streaming,*"), null) ) {
                    if ( Boolean.TRUE.equals(beans.getAttribute(n, "Connected")) )
                        return true;
                }
                return false;
            } catch (JMException ex) {
                return false;   // unregistered meanwhile
            }
        });
    }

    @Test
    void lostConnectionsAreRetriedAndNothingIsLostOrAppliedTwice() throws Exception {
        try (TcpProxy proxy = new TcpProxy(TestMariaDb.HOST, TestMariaDb.PORT)) {
            start(config(proxy.host(), proxy.port(), "", "n"));
            awaitStreaming();
            for ( int i = 1 ; i <= 5 ; i++ )
                sql("INSERT INTO " + table("item") + " VALUES (" + i + ", '" + i + "', 'before " + i + "')");
            TestSupport.await("5 transactions applied", WAIT, () -> labels().size() == 5 && appliedTransactions() == 5);

            // The server goes away as in a restart: every connection closed, new ones refused.
            Instant wentAway = Instant.now();
            proxy.down();
            for ( int i = 6 ; i <= 8 ; i++ )
                sql("INSERT INTO " + table("item") + " VALUES (" + i + ", '" + i + "', 'during " + i + "')");
            TestSupport.await("two reconnection attempts while the server is away", WAIT, () -> proxy.refused() >= 2);
            // The binlog client reconnects by itself, the engine runs on: the status says it is reconnecting, since when and why.
            TestSupport.await("status RETRYING while the server is away (status " + source.status() + ")", WAIT,
                              () -> source.status().state() == State.RETRYING);
            SourceStatus away = source.status();
            String during = away.toString();
            String where = proxy.host() + ":" + proxy.port();
            assertTrue(away.message().contains("binlog connection to " + where + " was lost") && away.message().contains("reconnects by itself")
                       && away.message().contains("not reachable") && away.message().contains("cdc:host"), during);
            assertFalse(away.since().isBefore(wentAway.truncatedTo(ChronoUnit.MILLIS)), "since the connection was lost: " + during);
            assertTrue(away.since().isBefore(Instant.now()), during);
            proxy.up();
            for ( int i = 9 ; i <= 10 ; i++ )
                sql("INSERT INTO " + table("item") + " VALUES (" + i + ", '" + i + "', 'after " + i + "')");
            // The transactions made meanwhile may arrive together, then one patch applies them all.
            TestSupport.await("10 transactions applied (status " + source.status() + ")", Duration.ofSeconds(120), () -> appliedTransactions() >= 10);
            TestSupport.await("the patch of the last one published", WAIT, () -> log.publishedVersion() >= log.headVersion());
            assertEquals(10, appliedTransactions(), "each transaction once; while the server was away: " + during);
            assertEquals(10, labels().size());
            TestSupport.await("status RUNNING again (status " + source.status() + ")", WAIT, () -> source.status().state() == State.RUNNING);
            SourceStatus back = source.status();
            assertNull(back.message(), back.toString());
            assertTrue(back.since().isAfter(away.since()), "running since the connection came back: " + back);
            LogReplay.assertLogReproduces(log, dsg);
        }
    }

    /**
     * {@code PURGE BINARY LOGS} removes every binlog before the one named, so on a server other
     * tests share it would remove binlogs their sources still read. The server's binlogs are left
     * alone: the source's last applied position is put in a binlog file the server does not have
     * (number 0; the server numbers from 1), which is what it finds after a purge.
     */
    @Test
    void aBinlogPurgedPastTheLastAppliedPositionStopsStartUpSayingWhatWasLostAndWhatToDo() throws Exception {
        sql("INSERT INTO " + table("item") + " VALUES (1, '1', 'one')");
        String purged;
        try (var c = TestMariaDb.connect(); var st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW BINARY LOGS")) {
            rs.next();
            String first = rs.getString(1);
            purged = first.substring(0, first.lastIndexOf('.') + 1) + "000000";
        }
        Files.createDirectories(work.resolve("source"));
        Files.writeString(work.resolve("source").resolve("applied-position"), purged + ":4\n");
        SourceException ex = assertThrows(SourceException.class, () -> start(config(host(), port(), "", "n")));
        assertTrue(ex.getMessage().contains("no longer has binlog file " + purged) && ex.getMessage().contains("when_needed")
                   && ex.getMessage().contains("the changes made since then are gone"), ex.getMessage());
        assertEquals(State.FAILED, source.status().state());
        source.close();
        source = null;

        // The fix the message names: the snapshot loads the tables again.
        start(config(host(), port(), "cdc:snapshotMode \"when_needed\" ;", "n"));
        TestSupport.await("the tables loaded again", WAIT, () -> labels().equals(new TreeSet<>(Set.of("one"))));
    }
}
