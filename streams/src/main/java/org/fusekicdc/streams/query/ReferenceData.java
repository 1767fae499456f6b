package org.fusekicdc.streams.query;

import java.util.Iterator;

import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.VersionReader;

/**
 * The dataset a continuous query's part outside WINDOW blocks reads, built from the same
 * change topic: every commit applied in version order to an in-memory dataset (starting from a
 * snapshot when older commits were let go, see {@link ReferenceSnapshot}). While the
 * engine takes a commit it may evaluate at the version before it or at the commit's own
 * version; the latter is read inside a write transaction that applies the commit and is
 * then aborted, so no second copy of the dataset is kept.
 */
final class ReferenceData implements VersionReader {
    private final String dataset;
    private final DatasetGraph data = DatasetGraphFactory.createTxnMem();
    private long version;
    private Commit pending;

    /** The dataset at {@code version}, holding {@code quads} (its snapshot; none at version 0). */
    ReferenceData(String dataset, long version, Iterator<Quad> quads) {
        this.dataset = dataset;
        this.version = version;
        Txn.executeWrite(data, () -> quads.forEachRemaining(data::add));
    }

    /** The version the dataset is at. */
    long version() {
        return version;
    }

    /** The commit the engine is about to take: its version can be read until {@link #apply}. */
    void pending(Commit commit) {
        this.pending = commit;
    }

    /** The commit is taken: the dataset moves to its version. */
    void apply(Commit commit) {
        Txn.executeWrite(data, () -> change(commit));
        version = commit.version();
        pending = null;
    }

    private void change(Commit commit) {
        commit.removed().forEach(data::delete);
        commit.added().forEach(data::add);
    }

    @Override
    public View open(long at) {
        if ( at == version ) {
            data.begin(TxnType.READ);
            return view(false);
        }
        if ( pending != null && at == pending.version() ) {
            data.begin(TxnType.WRITE);
            change(pending);
            return view(true);
        }
        throw new IllegalStateException("Dataset '" + dataset + "': a step asked for version " + at + " but the reference data is at version "
                                        + version + (pending == null ? "" : " taking version " + pending.version()));
    }

    private View view(boolean discard) {
        return new View() {
            @Override
            public DatasetGraph dataset() {
                return data;
            }

            @Override
            public void close() {
                if ( discard )
                    data.abort();
                else
                    data.end();
            }
        };
    }
}
