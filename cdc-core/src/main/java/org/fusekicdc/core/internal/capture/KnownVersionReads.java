package org.fusekicdc.core.internal.capture;

import java.util.concurrent.locks.LockSupport;

import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2Classpath;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2DataVersion;
import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * Read transactions that show exactly one version of the log: what {@link CommitProtocol} tells
 * readers about the store's commits, and how a reader opens its transaction from that.
 * <p>
 * While no store commit is under way the store holds the published version. During one, a read
 * begun then may see the state before the commit or after it. Where the store says which state a
 * transaction sees (TDB2's data version), the commit records the data version of the state it
 * starts from, and a read that sees that state shows the version before the commit, without
 * waiting. A read that sees the state after the commit keeps its transaction and waits for the
 * commit's publish (a reader is never given a version the log has not published). On a store
 * that does not say (Jena's in-memory dataset), and during a rebase, a read waits for the publish
 * and then begins.
 * <p>
 * TDB2 holds a read's begin itself while a commit passes its commit point (journal and state
 * files forced): such a read begins on the new state, then waits for the publish.
 */
final class KnownVersionReads {
    // How long a reader parks before it looks again while a commit is under way.
    private static final long PARK_NANOS = 50_000;

    /**
     * What readers see: {@code version} while nothing commits; during a commit ({@code committing}),
     * the version before it, the version it publishes ({@code after}) and, where known, the storage
     * and data version of the state before it ({@code storage} null: not known). Replaced, never
     * changed: a reader that finds the same object before and after its begin knows no other
     * commit started meanwhile.
     */
    private record State(long version, boolean committing, Object storage, long dataVersion, long after) {}

    private final Tdb2DataVersion tdb2;
    private final ChangeLog log;
    private volatile State state;

    /**
     * Reads of {@code store}, whose log is {@code log}; the log's observer is told of each read:
     * how long it took to open, whether a commit was under way, whether it waited.
     */
    KnownVersionReads(DatasetGraph store, ChangeLog log) {
        this.tdb2 = Tdb2Classpath.present() ? Tdb2DataVersion.forStore(store) : null;
        this.log = log;
        this.state = new State(log.publishedVersion(), false, null, -1, -1);
    }

    /**
     * A store commit is about to start, on this thread, in its open write transaction, over
     * {@code published} (the state the store holds now is that version's), to publish
     * {@code after} once the store's commit returns.
     */
    void committing(long published, long after) {
        long dataVersion = tdb2 == null ? -1 : tdb2.ofWriter();
        state = dataVersion < 0 ? new State(published, true, null, -1, after) : new State(published, true, tdb2.storage(), dataVersion, after);
    }

    /** The store is being replaced: readers wait until {@link #stable}. */
    void replacing(long published) {
        state = new State(published, true, null, -1, -1);
    }

    /** No store commit is under way; the store holds {@code published}. */
    void stable(long published) {
        state = new State(published, false, null, -1, -1);
    }

    /** See {@link CapturingDatasetGraph#beginReadAtKnownVersion}; begins and, on a retry, ends on {@code dsg}. */
    long beginRead(DatasetGraph dsg) {
        long asked = System.nanoTime();
        boolean waited = false;
        while ( true ) {
            State before = state;
            if ( !before.committing || before.storage != null ) {
                dsg.begin(TxnType.READ);
                // The same state object after the begin: no store commit started meanwhile, but the one it names.
                if ( state == before ) {
                    if ( !before.committing )
                        return opened(before.version, asked, false, waited);
                    long seen = tdb2.storage() == before.storage ? tdb2.ofReader() : -1;
                    if ( seen == before.dataVersion )
                        return opened(before.version, asked, true, waited);
                    if ( seen == before.dataVersion + 1 && awaitPublish(before) )
                        return opened(before.after, asked, true, true);
                }
                dsg.end();
                if ( state != before )
                    continue;
            }
            // A commit or a rebase the read cannot place: wait for its publish.
            waited = true;
            LockSupport.parkNanos(PARK_NANOS);
        }
    }

    private long opened(long version, long asked, boolean duringCommit, boolean waited) {
        log.observer().knownVersionRead(System.nanoTime() - asked, duringCommit, waited);
        return version;
    }

    /**
     * This thread's read transaction sees the state the commit in flight made: keep it and wait
     * until that commit's version is published. False if the commit was undone instead.
     */
    private boolean awaitPublish(State committing) {
        State now;
        while ( (now = state) == committing )
            LockSupport.parkNanos(PARK_NANOS);
        return now.version == committing.after;
    }
}
