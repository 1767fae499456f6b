package org.fusekicdc.core.internal.history;

import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.VersionGoneException;

/**
 * A read of a captured dataset as it was at a version, on this thread: one read transaction at a
 * known head version, and the net change from the wanted version to that head read from the
 * log, so the state and the patches undone agree. Closing ends the transaction.
 */
public final class AsOfRead implements AutoCloseable {
    /** Most distinct quads one as-of read keeps in memory to undo. */
    public static final long DEFAULT_MAX_CHANGED_QUADS = 1_000_000;

    private final long version;
    private final long head;
    private final long base;
    private final DatasetGraph dataset;
    private final Runnable end;
    private boolean open = true;

    private AsOfRead(long version, long head, long base, DatasetGraph dataset, Runnable end) {
        this.version = version;
        this.head = head;
        this.base = base;
        this.dataset = dataset;
        this.end = end;
    }

    /**
     * The oldest version an as-of read reaches: the one before the oldest patch retention kept
     * (every later patch can be undone from the current state).
     */
    public static long oldestReachable(ChangeLog log) {
        return log.firstVersion() - 1;
    }

    /** Begin a read of {@code dsg} as of {@code version} from its current state; see {@link #begin(CapturingDatasetGraph, long, long, HistorySnapshots)}. */
    public static AsOfRead begin(CapturingDatasetGraph dsg, long version, long maxChangedQuads) {
        return begin(dsg, version, maxChangedQuads, null);
    }

    /**
     * Begin a read of {@code dsg} as of {@code version}: from the nearest history snapshot at or
     * after it when there is one before the current state (fewer patches to undo), else from the
     * current state.
     *
     * @param snapshots the dataset's history snapshots, or null
     * @throws VersionGoneException if the version is older than {@link #oldestReachable}, or retention removes a patch while it is read
     * @throws IllegalArgumentException if the version is newer than the dataset's
     * @throws NetChange.TooManyChanges if undoing needs more than {@code maxChangedQuads} quads in memory
     */
    public static AsOfRead begin(CapturingDatasetGraph dsg, long version, long maxChangedQuads, HistorySnapshots snapshots) {
        ChangeLog log = dsg.changeLog();
        return begin(dsg, version, snapshots, (after, until) -> NetChange.between(log, after, until, maxChangedQuads));
    }

    /** Where a read gets the net change of the patches after one version up to a later one. */
    @FunctionalInterface
    public interface NetChanges {
        /**
         * @throws NetChange.TooManyChanges if it needs more quads in memory than allowed
         */
        NetChange between(long after, long until);
    }

    /**
     * As {@link #begin(CapturingDatasetGraph, long, long, HistorySnapshots)}, with the net changes
     * from {@code changes}: readers of the same versions one after another (the continuous queries
     * of one step) can then share one instead of each reading the log.
     */
    public static AsOfRead begin(CapturingDatasetGraph dsg, long version, HistorySnapshots snapshots, NetChanges changes) {
        ChangeLog log = dsg.changeLog();
        long head = dsg.beginReadAtKnownVersion();
        try {
            if ( version > head )
                throw new IllegalArgumentException("Dataset '" + dsg.datasetName() + "': version " + version + " is newer than the dataset's newest version ("
                                                   + head + ")");
            long oldest = oldestReachable(log);
            if ( version < oldest )
                throw new VersionGoneException(dsg.datasetName(), version, oldest);
            HistorySnapshots.Lease lease = snapshots == null ? null : snapshots.nearest(version, head);
            if ( lease != null ) {
                // The copy is a fixed state: the current one's transaction is not needed.
                dsg.end();
                return fromCopy(lease, version, head, changes);
            }
            DatasetGraph view = version == head ? dsg : new AsOfDatasetGraph(dsg, changes.between(version, head));
            return new AsOfRead(version, head, head, view, dsg::end);
        } catch (RuntimeException ex) {
            if ( dsg.isInTransaction() )
                dsg.end();
            throw ex;
        }
    }

    private static AsOfRead fromCopy(HistorySnapshots.Lease lease, long version, long head, NetChanges changes) {
        DatasetGraph copy = lease.dataset();
        try {
            copy.begin(TxnType.READ);
            try {
                DatasetGraph view = version == lease.version() ? copy
                    : new AsOfDatasetGraph(copy, changes.between(version, lease.version()));
                return new AsOfRead(version, head, lease.version(), view, () -> {
                    try {
                        copy.end();
                    } finally {
                        lease.close();
                    }
                });
            } catch (RuntimeException ex) {
                copy.end();
                throw ex;
            }
        } catch (RuntimeException ex) {
            lease.close();
            throw ex;
        }
    }

    /** The version this read shows. */
    public long version() {
        return version;
    }

    /** The dataset's version when the read began (the state the overlay starts from). */
    public long head() {
        return head;
    }

    /** The version the read started from: {@link #head}, or the version of the history snapshot it used. */
    public long base() {
        return base;
    }

    /** The dataset as of {@link #version}, valid until {@link #close}. */
    public DatasetGraph dataset() {
        return dataset;
    }

    @Override
    public void close() {
        if ( open ) {
            open = false;
            end.run();
        }
    }
}
