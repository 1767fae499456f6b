package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a source's crash test runs on: {@link SourceTestBase} with the table of
 * {@link ItemWorkload}, and the child JVM running the source ({@link SourceChildProcess}), killed
 * after each test. Its own tests kill the child during the initial snapshot, change the database
 * while it is down, and check that the redone snapshot leaves exactly the database's rows; a
 * subclass per database adds the kills while streaming.
 */
public abstract class SourceCrashTestBase extends SourceTestBase {
    /** Rounds of kills while the database takes transactions. */
    protected static final int ROUNDS = 2;
    /** How long the source may take to apply something, or to catch up at the end. */
    protected static final Duration CATCH_UP = Duration.ofSeconds(90);
    /** Rows before the snapshot, applied in chunks of SNAPSHOT_BATCH: enough chunks that a kill lands inside. */
    private static final int SNAPSHOT_ROWS = 5_000;
    private static final int SNAPSHOT_BATCH = 100;

    protected SourceChildProcess child;

    protected SourceCrashTestBase(Supplier<TestSourceDb> newDatabase) {
        super(newDatabase, ItemWorkload.TABLE);
    }

    /** The database's position parser and header, to check that streamed patches come in order and none twice. */
    protected abstract Dialect dialect();

    @AfterEach
    protected final void killChild() throws InterruptedException {
        if ( child != null )
            child.kill();
    }

    /** The child running a source of the item table with {@code snapshotMode} and {@code options} (each ending with {@code ;}). */
    protected SourceChildProcess child(String snapshotMode, String options) throws Exception {
        Path f = work.resolve("source.ttl");
        Files.writeString(f, database.sourceConfig("""
            cdc:snapshotMode "%s" ;
            %s
            cdc:table [
                cdc:tableName "%s" ;
                cdc:subjectTemplate "http://example.org/item/{id}" ;
                cdc:column [ cdc:columnName "n" ; cdc:predicate ex:n ] , [ cdc:columnName "label" ; cdc:predicate ex:label ]
            ] .
            """.formatted(snapshotMode, options, table("item"))));
        child = new SourceChildProcess(work, f, database);
        return child;
    }

    /** The child with the engine's batches at {@code batchSize} events. */
    protected SourceChildProcess child(String snapshotMode, int batchSize) throws Exception {
        return child(snapshotMode, "cdc:debeziumProperties \"max.batch.size=" + batchSize + "\" ;");
    }

    /** Fill the item table, start the child and kill it once it has applied a chunk of the snapshot, not all; returns the rows. */
    private Map<Integer, int[]> killDuringTheSnapshot() throws Exception {
        Map<Integer, int[]> rows = new TreeMap<>();
        StringBuilder insert = new StringBuilder("INSERT INTO " + table("item") + " VALUES ");
        for ( int i = 1 ; i <= SNAPSHOT_ROWS ; i++ ) {
            insert.append(i > 1 ? "," : "").append("(").append(i).append(",0,'item ").append(i).append("')");
            rows.put(i, new int[] {0});
        }
        database.sql(insert.toString());
        child("initial", SNAPSHOT_BATCH).start();
        TestSupport.await("the first snapshot chunk", CATCH_UP, () -> child.reported("VERSION") >= 1);
        child.kill();
        assertTrue(child.reported("VERSION") < SNAPSHOT_ROWS / SNAPSHOT_BATCH, "killed during the snapshot (version " + child.reported("VERSION") + " of "
                                                                       + SNAPSHOT_ROWS / SNAPSHOT_BATCH + " chunks)");
        return rows;
    }

    @Test
    void killedDuringTheSnapshotTheRedoneSnapshotLeavesExactlyTheDatabasesRows() throws Exception {
        Map<Integer, int[]> rows = killDuringTheSnapshot();
        // Deleted and changed while the source is down: the redone snapshot must not keep them.
        database.sql("DELETE FROM " + table("item") + " WHERE id <= 1000", "UPDATE " + table("item") + " SET n = 7 WHERE id = 3000");
        for ( int i = 1 ; i <= 1000 ; i++ )
            rows.remove(i);
        rows.get(3000)[0] = 7;
        catchUpAndCheck(rows);
    }

    @Test
    void killedDuringTheSnapshotAndTheTableEmptiedTheRedoneSnapshotLeavesNoRow() throws Exception {
        killDuringTheSnapshot();
        // The redone snapshot sends no row: its end still clears what the first one loaded.
        database.sql("DELETE FROM " + table("item"));
        catchUpAndCheck(Map.of());
        ChangeLog log = ChangeLog.open(RelationalSourceChild.logConfig(work));
        try {
            RDFPatch last = LogReplay.patch(log.read(log.headVersion()));
            assertEquals("true", header(last, PatchHeaders.SOURCE_SNAPSHOT), "the last patch is the redone snapshot's");
            assertEquals(table("item"), header(last, PatchHeaders.SOURCE_SNAPSHOT_CLEARED), "and says it clears the table");
        } finally {
            log.close();
        }
    }

    /**
     * Start a last time, wait until the dataset holds exactly {@code rows}, stop; then check the
     * log: every patch is this source's, streamed ones in position order and none twice, and the
     * log replays to the dataset.
     */
    protected void catchUpAndCheck(Map<Integer, int[]> rows) throws Exception {
        Files.deleteIfExists(work.resolve("child.log"));
        child.start();
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        long settled = -2;
        // Caught up when the dataset has as many rows as the database and the log has stopped moving.
        while ( true ) {
            long v = child.reported("VERSION");
            if ( System.nanoTime() > deadline || !child.isAlive() )
                fail("The source did not catch up (change log at version " + v + ", " + child.reported("ROWS") + " of " + rows.size()
                     + " rows). Child output:\n" + child.output());
            if ( child.reported("ROWS") == rows.size() && v == settled )
                break;
            settled = v;
            // "Stopped moving" is two equal readings apart in time: the interval is the condition, not a guess at a delay.
            Thread.sleep(500);
        }
        child.kill();
        ChangeLog log = ChangeLog.open(RelationalSourceChild.logConfig(work));
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(RelationalSourceChild.tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
            Position last = null;
            Set<String> seen = new HashSet<>();
            Dialect dialect = dialect();
            for ( LogRecord r : log.readAfter(0, Integer.MAX_VALUE) ) {
                RDFPatch p = LogReplay.patch(r);
                assertEquals(database.sourceName(), header(p, PatchHeaders.SOURCE), "source header of version " + r.version());
                if ( p.getHeader(PatchHeaders.SOURCE_SNAPSHOT) != null )
                    continue;
                String text = header(p, dialect.positionHeader());
                Position pos = dialect.parse(text);
                assertTrue(seen.add(text) && pos.isAfter(last), "streamed transaction at " + text + " (version " + r.version() + ") after " + last + ": none twice, in order");
                last = pos;
            }
            LogReplay.assertLogReproduces(log, dsg);
            Set<String> want = ItemWorkload.expected(rows);
            Set<String> have = ItemWorkload.inDataset(dsg);
            if ( !want.equals(have) ) {
                String out = child.output();
                fail("the dataset holds " + have.size() / 2 + " rows, the database " + want.size() / 2 + "; the last start's output ends:\n"
                     + out.substring(Math.max(0, out.length() - 6000)));
            }
            dsg.close();
        } finally {
            log.close();
        }
    }
}
