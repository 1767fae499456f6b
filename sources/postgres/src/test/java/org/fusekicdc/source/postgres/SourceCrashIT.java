package org.fusekicdc.source.postgres;

import static org.fusekicdc.core.testing.TestPostgres.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;

/**
 * Exactly once across crashes: a child JVM running the source is killed (SIGKILL, {@code
 * destroyForcibly}) at random moments while the database takes a stream of transactions, and
 * restarted. In the end every committed database transaction is in the change log exactly once
 * (by its source transaction id), in commit order, the log replays to the dataset, and the dataset
 * holds exactly the database's rows.
 */
class SourceCrashIT {
    private static final int ROUNDS = 2;
    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    static final String EX = "http://example.org/";

    @TempDir
    Path work;

    String schema;
    String slot;
    Process child;

    @BeforeEach
    void setUp() {
        TestPostgres.requireServer();
        schema = TestPostgres.unique("crash_");
        slot = TestPostgres.unique("fcdc_crash_");
        sql("CREATE SCHEMA " + schema, "CREATE TABLE " + schema + ".item (id int PRIMARY KEY, n int, label text)");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        kill();
        if ( schema != null )
            TestPostgres.dropAll(slot, slot, schema);
    }

    private String config() {
        return """
            <#source> a cdc:PostgresSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:database "%s" ; cdc:user "%s" ;
                cdc:slotName "%s" ; cdc:publicationName "%s" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ; cdc:snapshotMode "no_data" ;
                cdc:table [
                    cdc:tableName "%s.item" ;
                    cdc:subjectTemplate "http://example.org/item/{id}" ;
                    cdc:column [ cdc:columnName "n" ; cdc:predicate ex:n ] , [ cdc:columnName "label" ; cdc:predicate ex:label ]
                ] .
            """.formatted(TestPostgres.HOST, TestPostgres.PORT, TestPostgres.DATABASE, TestPostgres.USER, slot, slot, schema);
    }

    private final AtomicLong childVersion = new AtomicLong(-1);
    /** The database transactions the child's log applies (a patch may apply several). */
    private final AtomicLong childTransactions = new AtomicLong(-1);

    private void startChild(Path configFile) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(javaBin, "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                                   SourceChild.class.getName(), work.toString(), configFile.toString());
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true);
        child = pb.start();
        childVersion.set(-1);
        childTransactions.set(-1);
        Process p = child;
        Path childLog = work.resolve("child.log");
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("VERSION ") )
                        childVersion.set(Long.parseLong(line.substring(8).trim()));
                    else if ( line.startsWith("TRANSACTIONS ") )
                        childTransactions.set(Long.parseLong(line.substring(13).trim()));
                    else
                        Files.writeString(childLog, line + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                }
            } catch (Exception ex) {
                // child gone
            }
        }, "child-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private String childOutput() throws java.io.IOException {
        Path f = work.resolve("child.log");
        return Files.exists(f) ? Files.readString(f) : "";
    }

    private void kill() throws InterruptedException {
        if ( child != null ) {
            child.destroyForcibly();
            child.waitFor(30, TimeUnit.SECONDS);
            child = null;
        }
    }

    /** One committed database transaction: insert a new item and update an earlier one; returns its xid (32 bits, as the WAL has it). */
    private long transaction(Connection c, int i, Random random, Map<Integer, int[]> rows) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO " + schema + ".item VALUES (" + i + ", 0, 'item " + i + "')");
            rows.put(i, new int[] {0});
            if ( i > 1 ) {
                int other = 1 + random.nextInt(i - 1);
                if ( rows.containsKey(other) ) {
                    if ( random.nextInt(5) == 0 ) {
                        st.execute("DELETE FROM " + schema + ".item WHERE id = " + other);
                        rows.remove(other);
                    } else {
                        st.execute("UPDATE " + schema + ".item SET n = n + 1 WHERE id = " + other);
                        rows.get(other)[0]++;
                    }
                }
            }
            long xid;
            try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text::bigint % 4294967296")) {
                rs.next();
                xid = rs.getLong(1);
            }
            c.commit();
            return xid;
        }
    }

    @Test
    void killedAtRandomMomentsEveryDatabaseTransactionIsAppliedExactlyOnce() throws Exception {
        Path configFile = work.resolve("source.ttl");
        Files.writeString(configFile, config());
        Files.createDirectories(work.resolve("w"));
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.err.println("SourceCrashIT seed " + seed + " (-Dfusekicdc.crashSeed=" + seed + ")");
        Random random = new Random(seed);
        List<Long> xids = new ArrayList<>();
        Map<Integer, int[]> rows = new TreeMap<>();
        int next = 1;
        long lastVersion = 0;
        try (Connection c = TestPostgres.connect()) {
            c.setAutoCommit(false);
            for ( int round = 0 ; round < ROUNDS ; round++ ) {
                startChild(configFile);
                if ( round == 0 ) {
                    // cdc:snapshotMode "no_data": the stream starts where the slot is created.
                    TestSupport.await("replication slot " + slot, CATCH_UP, () -> {
                        try (Connection q = TestPostgres.connect(); Statement st = q.createStatement();
                             ResultSet rs = st.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                            return rs.next();
                        } catch (java.sql.SQLException ex) {
                            return false;
                        }
                    });
                }
                // Kill while it applies: once the log has moved in this round, after a random while.
                long seen = Math.max(0, lastVersion);
                long killAt = Long.MAX_VALUE;
                long give = System.nanoTime() + CATCH_UP.toNanos();
                while ( System.nanoTime() < killAt ) {
                    xids.add(transaction(c, next++, random, rows));
                    Thread.sleep(15 + random.nextInt(25));
                    if ( killAt == Long.MAX_VALUE && childVersion.get() > seen )
                        killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200 + random.nextInt(1500));
                    if ( System.nanoTime() > give )
                        fail("The source applied nothing in round " + round + "; child output:\n" + childOutput());
                }
                lastVersion = childVersion.get();
                kill();
                // Changes made while the source is down are picked up on restart.
                for ( int k = 0 ; k < 5 ; k++ )
                    xids.add(transaction(c, next++, random, rows));
            }
        }
        // Last start: let it catch up with every committed transaction, then stop it.
        startChild(configFile);
        long expected = xids.size();
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while ( childTransactions.get() < expected ) {
            if ( System.nanoTime() > deadline || !child.isAlive() )
                fail("The source did not catch up: change log at version " + childVersion.get() + " applying " + childTransactions.get()
                     + " transactions, " + expected
                     + " database transactions committed. Child output:\n" + childOutput());
            Thread.sleep(50);
        }
        Thread.sleep(1000);  // a duplicate arriving late would show now
        kill();

        ChangeLog log = ChangeLog.open(SourceChild.logConfig(work));
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(SourceChild.tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
            // A patch applies one database transaction, or several (sourceTransactions) when the
            // source was behind, named by the last of them: walking the committed xids in order,
            // each patch must end exactly at its own.
            int applied = 0;
            for ( LogRecord r : log.readAfter(0, Integer.MAX_VALUE) ) {
                RDFPatch p = LogReplay.patch(r);
                assertEquals("pg", p.getHeader(PatchHeaders.SOURCE).getLiteralLexicalForm(), "source header of version " + r.version());
                var group = p.getHeader(PatchHeaders.SOURCE_TRANSACTIONS);
                applied += group == null ? 1 : Integer.parseInt(group.getLiteralLexicalForm());
                long xid = Long.parseLong(p.getHeader(PatchHeaders.SOURCE_TXID).getLiteralLexicalForm());
                assertTrue(applied <= xids.size() && xids.get(applied - 1) == xid,
                           "version " + r.version() + " applies database transactions up to number " + applied + " (xid " + xid + ") in commit order; committed: " + xids);
            }
            assertEquals(expected, applied, "every committed database transaction once (no loss, no duplicate)");
            LogReplay.assertLogReproduces(log, dsg);
            Set<String> want = new TreeSet<>();
            rows.forEach((id, n) -> {
                want.add(id + " n " + n[0]);
                want.add(id + " label item " + id);
            });
            Set<String> have = new TreeSet<>();
            Txn.executeRead(dsg, () -> dsg.find().forEachRemaining(q -> {
                String id = q.getSubject().getURI().substring((EX + "item/").length());
                String p = q.getPredicate().getURI().substring(EX.length());
                have.add(id + " " + p + " " + q.getObject().getLiteralLexicalForm());
            }));
            assertEquals(want, have, "the dataset holds exactly the database's rows");
            dsg.close();
        } finally {
            log.close();
        }
    }
}
