package org.fusekicdc.core.internal.capture.tdb2;

import org.apache.jena.dboe.transaction.txn.Transaction;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.store.DatasetGraphTDB;
import org.apache.jena.tdb2.sys.TDBInternal;

/**
 * Which committed state of a TDB2 store a transaction on this thread sees. TDB2 gives every
 * transaction the store's data version when it began, a number its commit point (one write
 * transaction's) raises by one; a transaction begins and a commit point passes under the same
 * lock, so two transactions with the same data version on the same storage see the same state.
 */
public final class Tdb2DataVersion {
    private final DatasetGraph base;

    private Tdb2DataVersion(DatasetGraph base) {
        this.base = base;
    }

    /** For a TDB2 store, else null. Call only if {@link Tdb2Classpath#present()}. */
    public static Tdb2DataVersion forStore(DatasetGraph base) {
        return TDBInternal.isTDB2(base) ? new Tdb2DataVersion(base) : null;
    }

    /**
     * The storage this thread's transaction runs on: compaction switches the store to a new
     * one, whose data versions are not comparable with the old one's.
     */
    public Object storage() {
        return TDBInternal.getDatasetGraphTDB(base);
    }

    /** The data version this thread's transaction sees, or -1 outside a transaction. */
    public long ofReader() {
        Transaction txn = threadTransaction();
        return txn == null ? -1 : txn.getDataVersion();
    }

    /**
     * The data version the store holds while this thread's write transaction is open (no other
     * writer commits meanwhile), or -1 if the transaction's own data version may be older: a
     * read-committed promotion keeps the version the transaction began with.
     */
    public long ofWriter() {
        Transaction txn = threadTransaction();
        if ( txn == null || !txn.isWriteTxn() || txn.getTxnType() == TxnType.READ_COMMITTED_PROMOTE )
            return -1;
        return txn.getDataVersion();
    }

    private Transaction threadTransaction() {
        DatasetGraphTDB store = TDBInternal.getDatasetGraphTDB(base);
        return store.getTxnSystem().getThreadTransaction();
    }
}
