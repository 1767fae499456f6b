package org.fusekicdc.source.mariadb;

import static org.fusekicdc.core.testing.TestMariaDb.sql;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
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
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.Position;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across crashes, MariaDB: a child JVM running the source is killed (SIGKILL) during
 * the initial snapshot, and at random moments while the database takes a stream of transactions.
 * In the end the dataset holds exactly the database's rows (none deleted meanwhile survives a
 * redone snapshot), the log replays to the dataset, and no streamed transaction is in it twice
 * (its binlog positions strictly increase).
 */
class MariaDbSourceCrashIT {
    private static final int ROUNDS = 2;
    /** Rows before the snapshot, applied in chunks of SNAPSHOT_BATCH: enough chunks that a kill lands inside. */
    private static final int SNAPSHOT_ROWS = 5_000;
    private static final int SNAPSHOT_BATCH = 100;
    private static final Duration CATCH_UP = Duration.ofSeconds(90);
    static final String EX = "http://example.org/";

    @TempDir
    Path work;

    String db;
    Process child;
    private final AtomicLong childVersion = new AtomicLong(-1);
    private final AtomicLong childRows = new AtomicLong(-1);

    @BeforeEach
    void setUp() {
        TestMariaDb.requireServer();
        db = TestMariaDb.unique("crash_");
        sql("CREATE DATABASE " + db, "CREATE TABLE " + db + ".item (id int PRIMARY KEY, n int, label text)");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        kill();
        if ( db != null )
            TestMariaDb.dropDatabase(db);
    }

    private Path config(String snapshotMode, int batchSize) throws Exception {
        Path f = work.resolve("source.ttl");
        Files.writeString(f, """
            <#source> a cdc:MariaDbSource ;
                cdc:host "%s" ; cdc:port %d ; cdc:user "%s" ;
                cdc:retryInitialMillis 100 ; cdc:retryMaxMillis 1000 ; cdc:snapshotMode "%s" ;
                cdc:debeziumProperties "max.batch.size=%d" ;
                cdc:table [
                    cdc:tableName "%s.item" ;
                    cdc:subjectTemplate "http://example.org/item/{id}" ;
                    cdc:column [ cdc:columnName "n" ; cdc:predicate ex:n ] , [ cdc:columnName "label" ; cdc:predicate ex:label ]
                ] .
            """.formatted(TestMariaDb.HOST, TestMariaDb.PORT, TestMariaDb.USER, snapshotMode, batchSize, db));
        return f;
    }

    private void startChild(Path configFile) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(javaBin, "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
                                   MariaDbSourceChild.class.getName(), work.toString(), configFile.toString());
        child = new ProcessBuilder(new ArrayList<>(cmd)).redirectErrorStream(true).start();
        childVersion.set(-1);
        childRows.set(-1);
        Process p = child;
        Path childLog = work.resolve("child.log");
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("VERSION ") )
                        childVersion.set(Long.parseLong(line.substring(8).trim()));
                    else if ( line.startsWith("ROWS ") )
                        childRows.set(Long.parseLong(line.substring(5).trim()));
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

    /** One committed transaction: insert a new item and update or delete an earlier one. */
    private void transaction(Connection c, int i, Random random, Map<Integer, int[]> rows) throws Exception {
        try (Statement st = c.createStatement()) {
            st.execute("INSERT INTO " + db + ".item VALUES (" + i + ", 0, 'item " + i + "')");
            rows.put(i, new int[] {0});
            int other = 1 + random.nextInt(i);
            if ( other != i && rows.containsKey(other) ) {
                if ( random.nextInt(5) == 0 ) {
                    st.execute("DELETE FROM " + db + ".item WHERE id = " + other);
                    rows.remove(other);
                } else {
                    st.execute("UPDATE " + db + ".item SET n = n + 1 WHERE id = " + other);
                    rows.get(other)[0]++;
                }
            }
            c.commit();
        }
    }

    /** Start a last time, wait until the dataset holds exactly {@code rows}, stop; then check the log. */
    private void catchUpAndCheck(Path configFile, Map<Integer, int[]> rows) throws Exception {
        Set<String> want = new TreeSet<>();
        rows.forEach((id, n) -> {
            want.add(id + " n " + n[0]);
            want.add(id + " label item " + id);
        });
        Files.deleteIfExists(work.resolve("child.log"));
        startChild(configFile);
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        long settled = -2;
        // Caught up when the dataset has as many rows as the database and the log has stopped moving.
        while ( true ) {
            long v = childVersion.get();
            if ( System.nanoTime() > deadline || !child.isAlive() )
                fail("The source did not catch up (change log at version " + v + ", " + childRows.get() + " of " + rows.size()
                     + " rows). Child output:\n" + childOutput());
            if ( childRows.get() == rows.size() && v == settled )
                break;
            settled = v;
            Thread.sleep(500);
        }
        kill();
        ChangeLog log = ChangeLog.open(MariaDbSourceChild.logConfig(work));
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(MariaDbSourceChild.tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
            Position last = null;
            Set<String> seen = new HashSet<>();
            BinlogDialect dialect = new BinlogDialect(null);
            for ( LogRecord r : log.readAfter(0, Integer.MAX_VALUE) ) {
                RDFPatch p = LogReplay.patch(r);
                assertEquals("maria", p.getHeader(PatchHeaders.SOURCE).getLiteralLexicalForm(), "source header of version " + r.version());
                if ( p.getHeader(PatchHeaders.SOURCE_SNAPSHOT) != null )
                    continue;
                String text = p.getHeader(PatchHeaders.SOURCE_BINLOG).getLiteralLexicalForm();
                Position pos = dialect.parse(text);
                assertTrue(seen.add(text) && pos.isAfter(last), "streamed transaction at " + text + " (version " + r.version() + ") after " + last + ": none twice, in order");
                last = pos;
            }
            LogReplay.assertLogReproduces(log, dsg);
            Set<String> have = new TreeSet<>();
            Txn.executeRead(dsg, () -> dsg.find().forEachRemaining(q -> {
                String id = q.getSubject().getURI().substring((EX + "item/").length());
                String p = q.getPredicate().getURI().substring(EX.length());
                have.add(id + " " + p + " " + q.getObject().getLiteralLexicalForm());
            }));
            if ( !want.equals(have) ) {
                String out = childOutput();
                fail("the dataset holds " + have.size() / 2 + " rows, the database " + want.size() / 2 + "; the last start's output ends:\n"
                     + out.substring(Math.max(0, out.length() - 6000)));
            }
            dsg.close();
        } finally {
            log.close();
        }
    }

    @Test
    void killedDuringTheSnapshotTheRedoneSnapshotLeavesExactlyTheDatabasesRows() throws Exception {
        Map<Integer, int[]> rows = new TreeMap<>();
        StringBuilder insert = new StringBuilder("INSERT INTO " + db + ".item VALUES ");
        for ( int i = 1 ; i <= SNAPSHOT_ROWS ; i++ ) {
            insert.append(i > 1 ? "," : "").append("(").append(i).append(",0,'item ").append(i).append("')");
            rows.put(i, new int[] {0});
        }
        sql(insert.toString());
        Path configFile = config("initial", SNAPSHOT_BATCH);
        startChild(configFile);
        TestSupport.await("the first snapshot chunk", CATCH_UP, () -> childVersion.get() >= 1);
        kill();
        assertTrue(childVersion.get() < SNAPSHOT_ROWS / SNAPSHOT_BATCH, "killed during the snapshot (version " + childVersion.get() + " of "
                                                                 + SNAPSHOT_ROWS / SNAPSHOT_BATCH + " chunks)");
        // Deleted and changed while the source is down: the redone snapshot must not keep them.
        sql("DELETE FROM " + db + ".item WHERE id <= 1000", "UPDATE " + db + ".item SET n = 7 WHERE id = 3000");
        for ( int i = 1 ; i <= 1000 ; i++ )
            rows.remove(i);
        rows.get(3000)[0] = 7;
        catchUpAndCheck(configFile, rows);
    }

    @Test
    void killedAtRandomMomentsWhileStreamingEveryTransactionIsAppliedOnce() throws Exception {
        Path configFile = config("initial", 500);
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.err.println("MariaDbSourceCrashIT seed " + seed + " (-Dfusekicdc.crashSeed=" + seed + ")");
        Random random = new Random(seed);
        Map<Integer, int[]> rows = new TreeMap<>();
        int next = 1;
        try (Connection c = TestMariaDb.connect()) {
            c.setAutoCommit(false);
            for ( int round = 0 ; round < ROUNDS ; round++ ) {
                long seen = Math.max(0, childVersion.get());
                startChild(configFile);
                long killAt = Long.MAX_VALUE;
                long give = System.nanoTime() + CATCH_UP.toNanos();
                while ( System.nanoTime() < killAt ) {
                    transaction(c, next++, random, rows);
                    Thread.sleep(15 + random.nextInt(25));
                    if ( killAt == Long.MAX_VALUE && childVersion.get() > seen )
                        killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200 + random.nextInt(1500));
                    if ( System.nanoTime() > give )
                        fail("The source applied nothing in round " + round + "; child output:\n" + childOutput());
                }
                kill();
                for ( int k = 0 ; k < 5 ; k++ )
                    transaction(c, next++, random, rows);
            }
        }
        catchUpAndCheck(configFile, rows);
    }
}
