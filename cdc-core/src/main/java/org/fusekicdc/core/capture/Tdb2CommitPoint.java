package org.fusekicdc.core.capture;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.apache.jena.dboe.transaction.txn.Transaction;
import org.apache.jena.dboe.transaction.txn.TransactionCoordinator;
import org.apache.jena.dboe.transaction.txn.TransactionListener;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forces a commit's pending log record while TDB2 commits, rather than before.
 * <p>
 * TDB2's commit first prepares (every index writes and forces its files), then writes its commit
 * point to its journal; only the commit point makes the transaction durable. So a thread of its
 * own forces the record during prepare, and the committing thread waits for it when prepare
 * ends ({@link TransactionListener#notifyPrepareFinish}), before the commit point; should the
 * force fail, the transaction is still active there and aborts as any failed commit does.
 * A crash before the commit point leaves a record whose transaction is not in the data, which
 * start-up recovery ({@link CommitRecovery}) truncates, as after a crash between append and
 * commit. The writer thus no longer waits for the log's force before the store's own forces;
 * whether the stretch in which the store admits a single writer gets shorter depends on the
 * storage flushing two files in parallel (docs/benchmarks.md, concurrent writers).
 * <p>
 * After a compaction switches the dataset to a new storage, which this does not listen to,
 * records are forced before the store commits (until restart).
 */
final class Tdb2CommitPoint implements TransactionListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tdb2CommitPoint.class);

    private final ChangeLog log;
    private final DatasetGraph base;
    private final TransactionCoordinator coordinator;
    private final ExecutorService forcer;
    // The force under way for the commit in progress; TDB2 admits one writer, whose thread alone sets and clears it.
    private Future<?> forcing;
    private boolean switchLogged;

    private Tdb2CommitPoint(DatasetGraph base, ChangeLog log) {
        this.log = log;
        this.base = base;
        this.coordinator = TDBInternal.getTransactionCoordinator(base);
        // One thread, ended when idle so that a dataset that is dropped without closing leaves none behind.
        ThreadPoolExecutor pool = new ThreadPoolExecutor(1, 1, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "cdc-log-force-" + log.dataset());
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true);
        this.forcer = pool;
        // Without waiting for exclusive use: the dataset is not served yet.
        coordinator.modifyConfigDirect(() -> coordinator.addListener(this));
    }

    /** For a TDB2 store, before it is captured; else null. */
    static Tdb2CommitPoint forStore(DatasetGraph base, ChangeLog log) {
        return TDBInternal.isTDB2(base) ? new Tdb2CommitPoint(base, log) : null;
    }

    /** Whether the dataset still runs on the storage this listens to. */
    boolean listening() {
        if ( TDBInternal.getTransactionCoordinator(base) == coordinator )
            return true;
        if ( !switchLogged ) {
            switchLogged = true;
            LOG.info("Dataset '{}': the TDB2 storage was switched (compaction); change log records are now forced before each store commit,"
                     + " until restart", log.dataset());
        }
        return false;
    }

    /** Run the store's commit while the pending record is forced; it is durable before the commit point. */
    void commit(Runnable storeCommit) {
        forcing = forcer.submit(log::forcePending);
        boolean committed = false;
        try {
            storeCommit.run();
            committed = true;
        } finally {
            // Awaited when prepare ended, unless the commit failed before: the force must end before the record is undone.
            boolean missedCommitPoint = forcing != null;
            awaitForce();
            if ( committed && missedCommitPoint )
                LOG.error("Dataset '{}': the store committed without announcing the end of its prepare; the change log record was forced after it",
                          log.dataset());
        }
    }

    @Override
    public void notifyPrepareFinish(Transaction transaction) {
        if ( transaction.isWriteTxn() )
            awaitForce();
    }

    private void awaitForce() {
        Future<?> f = forcing;
        if ( f == null )
            return;
        forcing = null;
        boolean interrupted = false;
        try {
            while ( true ) {
                try {
                    f.get();
                    return;
                } catch (InterruptedException ex) {
                    // The store must not reach its commit point before the record is durable.
                    interrupted = true;
                } catch (ExecutionException ex) {
                    if ( ex.getCause() instanceof RuntimeException re )
                        throw re;
                    throw new ChangeLogException("Dataset '" + log.dataset() + "': forcing the change log failed: " + ex.getCause(), ex.getCause());
                }
            }
        } finally {
            if ( interrupted )
                Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        coordinator.modifyConfigDirect(() -> coordinator.removeListener(this));
        forcer.shutdown();
    }
}
