package org.fusekicdc.source.mariadb;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Random;

import org.fusekicdc.core.testing.TestMariaDb;
import org.fusekicdc.source.relational.Dialect;
import org.fusekicdc.source.relational.ItemWorkload;
import org.fusekicdc.source.relational.SourceChildProcess;
import org.fusekicdc.source.relational.SourceCrashTestBase;
import org.junit.jupiter.api.Test;

/**
 * Exactly once across crashes, MariaDB: a child JVM running the source is killed (SIGKILL) during
 * the initial snapshot ({@link SourceCrashTestBase}), and at random moments while the database
 * takes a stream of transactions. In the end the dataset holds exactly the database's rows (none
 * deleted meanwhile survives a redone snapshot), the log replays to the dataset, and no streamed
 * transaction is in it twice (its binlog positions strictly increase).
 */
class MariaDbSourceCrashIT extends SourceCrashTestBase {

    MariaDbSourceCrashIT() {
        super(() -> MariaDbTestDb.create("crash_"));
    }

    @Override
    protected Dialect dialect() {
        return new BinlogDialect(null);
    }

    /** One committed transaction of the workload. */
    private static void transaction(Connection c, ItemWorkload workload) throws Exception {
        try (Statement st = c.createStatement()) {
            workload.change(st);
            c.commit();
        }
    }

    @Test
    void killedAtRandomMomentsWhileStreamingEveryTransactionIsAppliedOnce() throws Exception {
        SourceChildProcess streaming = child("initial", 500);
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.err.println("MariaDbSourceCrashIT seed " + seed + " (-Dfusekicdc.crashSeed=" + seed + ")");
        Random random = new Random(seed);
        ItemWorkload workload = new ItemWorkload(table("item"), random);
        try (Connection c = TestMariaDb.connect()) {
            c.setAutoCommit(false);
            streaming.killWhileCommitting(ROUNDS, random, CATCH_UP, round -> {}, () -> transaction(c, workload));
        }
        catchUpAndCheck(workload.rows());
    }
}
