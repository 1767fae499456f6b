package org.fusekicdc.source.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.apache.jena.rdfpatch.RDFPatch;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestPostgres;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.Dialect;
import org.fusekicdc.source.relational.ItemWorkload;
import org.fusekicdc.source.relational.RelationalSourceChild;
import org.fusekicdc.source.relational.SourceCrashTestBase;
import org.junit.jupiter.api.Test;

/**
 * Exactly once across crashes: a child JVM running the source is killed (SIGKILL, {@code
 * destroyForcibly}) during the initial snapshot ({@link SourceCrashTestBase}), and at random
 * moments while the database takes a stream of transactions, and restarted. In the end every committed database transaction is in the change log exactly once
 * (by its source transaction id), in commit order, the log replays to the dataset, and the dataset
 * holds exactly the database's rows.
 */
class SourceCrashIT extends SourceCrashTestBase {

    SourceCrashIT() {
        super(() -> PostgresTestDb.create("crash_"));
    }

    @Override
    protected Dialect dialect() {
        return new PostgresDialect();
    }

    /** One committed database transaction of the workload; returns its xid (32 bits, as the WAL has it). */
    private static long transaction(Connection c, ItemWorkload workload) throws Exception {
        try (Statement st = c.createStatement()) {
            workload.change(st);
            long xid;
            try (ResultSet rs = st.executeQuery("SELECT pg_current_xact_id()::text::bigint % 4294967296")) {
                rs.next();
                xid = rs.getLong(1);
            }
            c.commit();
            return xid;
        }
    }

    /** cdc:snapshotMode "no_data": the stream starts where the slot is created. */
    private void awaitSlot() throws InterruptedException {
        String slot = PostgresTestDb.slot(database);
        TestSupport.await("replication slot " + slot, CATCH_UP, () -> {
            try (Connection q = TestPostgres.connect(); Statement st = q.createStatement();
                 ResultSet rs = st.executeQuery("SELECT 1 FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                return rs.next();
            } catch (java.sql.SQLException ex) {
                return false;
            }
        });
    }

    @Test
    void killedAtRandomMomentsEveryDatabaseTransactionIsAppliedExactlyOnce() throws Exception {
        child("no_data", "");
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.err.println("SourceCrashIT seed " + seed + " (-Dfusekicdc.crashSeed=" + seed + ")");
        Random random = new Random(seed);
        ItemWorkload workload = new ItemWorkload(table("item"), random);
        List<Long> xids = new ArrayList<>();
        try (Connection c = TestPostgres.connect()) {
            c.setAutoCommit(false);
            child.killWhileCommitting(ROUNDS, random, CATCH_UP, round -> {
                if ( round == 0 )
                    awaitSlot();
            }, () -> xids.add(transaction(c, workload)));
        }
        // Last start: let it catch up with every committed transaction, then stop it.
        child.start();
        long expected = xids.size();
        long deadline = System.nanoTime() + CATCH_UP.toNanos();
        while ( child.reported("TRANSACTIONS") < expected ) {
            if ( System.nanoTime() > deadline || !child.isAlive() )
                fail("The source did not catch up: change log at version " + child.reported("VERSION") + " applying " + child.reported("TRANSACTIONS")
                     + " transactions, " + expected
                     + " database transactions committed. Child output:\n" + child.output());
            Thread.sleep(50);
        }
        Thread.sleep(1000);  // a duplicate arriving late would show now
        child.kill();

        ChangeLog log = ChangeLog.open(RelationalSourceChild.logConfig(work));
        try {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(RelationalSourceChild.tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
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
            assertEquals(ItemWorkload.expected(workload.rows()), ItemWorkload.inDataset(dsg), "the dataset holds exactly the database's rows");
            dsg.close();
        } finally {
            log.close();
        }
    }
}
