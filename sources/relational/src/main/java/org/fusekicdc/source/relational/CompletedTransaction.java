package org.fusekicdc.source.relational;

import java.util.List;
import java.util.Map;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;

/**
 * A source transaction complete and not yet written: its row changes mapped in memory, the rest
 * of its row events on disk ({@code spill}, or null).
 *
 * @param headers the source's own transaction headers (from the {@link Dialect})
 */
record CompletedTransaction(List<RowMapper.DatasetChange> changes, RowSpill spill, Position position, Map<String, String> headers, String id) {
    long rows() {
        return changes.size() + (spill == null ? 0 : spill.rows());
    }

    /** Apply its row changes, those on disk mapped as they are read back; inside the dataset's write transaction. */
    void applyTo(CapturingDatasetGraph dsg, RowEventMapping mapping) {
        changes.forEach(change -> change.apply(dsg));
        if ( spill != null )
            spill.replay(r -> {
                RowMapper.DatasetChange change = mapping.change(r);
                if ( change != null )
                    change.apply(dsg);
            });
    }

    /** Remove its rows on disk, if any. */
    void close() {
        if ( spill != null )
            spill.close();
    }
}
