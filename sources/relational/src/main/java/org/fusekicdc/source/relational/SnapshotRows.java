package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The initial snapshot's rows received and not yet written (one dataset transaction an engine
 * batch), and the clearing of the mapped tables' triples that the snapshot's first dataset
 * transaction begins with.
 */
final class SnapshotRows {
    // The applier's logger: log settings that name it keep covering these messages.
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);

    private final RelationalSettings settings;
    private final RowMapper mapper;
    private final String datasetName;
    private final List<RowMapper.DatasetChange> rows = new ArrayList<>();
    private Position position;
    private boolean started;
    /** The tables the next snapshot patch clears (its header), or null once that patch is written. */
    private String cleared;

    SnapshotRows(RelationalSettings settings, RowMapper mapper, String datasetName) {
        this.settings = settings;
        this.mapper = mapper;
        this.datasetName = datasetName;
    }

    /**
     * The first event of a snapshot's data (a row, or the end of a table's scan, which comes
     * before that table's last row): the mapped tables' triples are cleared in the snapshot's
     * first dataset transaction, so that the snapshot leaves exactly the rows the database holds.
     */
    void begin(String why) {
        if ( started )
            return;
        started = true;
        cleared = String.join(",", mapper.tables());
        LOG.info("Source '{}' (dataset '{}'): snapshot begins ({}); the mapped tables' triples are cleared in its first dataset transaction: {}",
                 settings.name(), datasetName, why, cleared);
        for ( String t : mapper.tables() )
            rows.add(mapper.clear(t));
    }

    /** A snapshot row at {@code position}: its change, or null when it was skipped as unmappable. */
    void add(RowMapper.DatasetChange change, Position position) {
        if ( change != null )
            rows.add(change);
        this.position = position;
    }

    boolean isEmpty() {
        return rows.isEmpty();
    }

    /** The position of the last row received, or null. */
    Position position() {
        return position;
    }

    /** Take the changes received, to be written; none are left after. */
    List<RowMapper.DatasetChange> take() {
        List<RowMapper.DatasetChange> changes = List.copyOf(rows);
        rows.clear();
        return changes;
    }

    /** The tables the patch being written clears, or null: only the snapshot's first patch does. */
    String takeCleared() {
        String tables = cleared;
        cleared = null;
        return tables;
    }
}
