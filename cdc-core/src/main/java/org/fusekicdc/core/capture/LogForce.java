package org.fusekicdc.core.capture;

import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.core.log.ChangeLog;

/**
 * Makes the pending log record of a commit durable before the store's commit can be: on TDB2
 * alongside the store's commit, up to its commit point ({@link Tdb2CommitPoint}); on other
 * stores, and when fsync is off, before the store commits.
 */
final class LogForce implements AutoCloseable {
    private final ChangeLog log;
    // Null unless the store is TDB2 and the log forces records.
    private final Tdb2CommitPoint tdb2;

    /** For {@code base}, before it is captured. */
    LogForce(DatasetGraph base, ChangeLog log) {
        this.log = log;
        this.tdb2 = StoreWrites.tdb2Available() && log.config().fsync() ? Tdb2CommitPoint.forStore(base, log) : null;
    }

    /** Run the store's commit, with the pending record durable before the store's commit point. */
    void commit(Runnable storeCommit) {
        if ( tdb2 != null && tdb2.listening() ) {
            tdb2.commit(storeCommit);
            return;
        }
        log.forcePending();
        storeCommit.run();
    }

    @Override
    public void close() {
        if ( tdb2 != null )
            tdb2.close();
    }
}
