package org.fusekicdc.core.internal.history;

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

    private final CapturingDatasetGraph dsg;
    private final long version;
    private final long head;
    private final DatasetGraph dataset;
    private boolean open = true;

    private AsOfRead(CapturingDatasetGraph dsg, long version, long head, DatasetGraph dataset) {
        this.dsg = dsg;
        this.version = version;
        this.head = head;
        this.dataset = dataset;
    }

    /**
     * The oldest version an as-of read reaches: the one before the oldest patch retention kept
     * (every later patch can be undone from the current state).
     */
    public static long oldestReachable(ChangeLog log) {
        return log.firstVersion() - 1;
    }

    /**
     * Begin a read of {@code dsg} as of {@code version}.
     *
     * @throws VersionGoneException if the version is older than {@link #oldestReachable}, or retention removes a patch while it is read
     * @throws IllegalArgumentException if the version is newer than the dataset's
     * @throws NetChange.TooManyChanges if undoing needs more than {@code maxChangedQuads} quads in memory
     */
    public static AsOfRead begin(CapturingDatasetGraph dsg, long version, long maxChangedQuads) {
        ChangeLog log = dsg.changeLog();
        long head = dsg.beginReadAtKnownVersion();
        try {
            if ( version > head )
                throw new IllegalArgumentException("Dataset '" + dsg.datasetName() + "': version " + version + " is newer than the dataset's newest version ("
                                                   + head + ")");
            long oldest = oldestReachable(log);
            if ( version < oldest )
                throw new VersionGoneException(dsg.datasetName(), version, oldest);
            DatasetGraph view = version == head ? dsg : new AsOfDatasetGraph(dsg, NetChange.between(log, version, head, maxChangedQuads));
            return new AsOfRead(dsg, version, head, view);
        } catch (RuntimeException ex) {
            dsg.end();
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

    /** The dataset as of {@link #version}, valid until {@link #close}. */
    public DatasetGraph dataset() {
        return dataset;
    }

    @Override
    public void close() {
        if ( open ) {
            open = false;
            dsg.end();
        }
    }
}
