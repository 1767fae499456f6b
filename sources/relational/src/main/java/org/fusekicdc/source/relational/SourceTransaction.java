package org.fusekicdc.source.relational;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The source transaction in progress: its row events mapped in memory up to
 * {@code cdc:spillThresholdRows}, the further ones kept in a file ({@link RowSpill}) until it is
 * applied, and the source's headers naming it.
 */
final class SourceTransaction {
    // The applier's logger: log settings that name it keep covering these messages.
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);

    private final RelationalSettings settings;
    private final String datasetName;
    private final RowEventMapping mapping;
    private final int memoryRows;
    private final Path spillDir;
    private final List<RowMapper.DatasetChange> rows = new ArrayList<>();
    private final Map<String, String> headers = new LinkedHashMap<>();
    private SourceRecord lastRow;
    private String id;
    /** Its row events past {@link #memoryRows}, or null. */
    private RowSpill spill;
    private final AtomicLong spilledTransactions = new AtomicLong();
    private final AtomicLong spilledRows = new AtomicLong();

    /** Removes the spill files a process that stopped mid-transaction left. */
    SourceTransaction(RelationalSettings settings, String datasetName, RowEventMapping mapping) {
        this.settings = settings;
        this.datasetName = datasetName;
        this.mapping = mapping;
        this.memoryRows = settings.spillThresholdRows();
        this.spillDir = settings.workDir().resolve("spill");
        RowSpill.removeLeftovers(spillDir);
    }

    /** A transaction begins (the source's BEGIN event): what was kept before is dropped. */
    void begin(String id) {
        rows.clear();
        closeSpill();
        headers.clear();
        lastRow = null;
        this.id = id;
    }

    /** The id of its BEGIN event; null without transaction metadata. */
    String id() {
        return id;
    }

    /** The source's headers naming it: the {@link Dialect} fills them in. */
    Map<String, String> headers() {
        return headers;
    }

    /** Its last row event, or null if it has none yet. */
    SourceRecord lastRow() {
        return lastRow;
    }

    /** Its row changes held in memory. */
    int rowsInMemory() {
        return rows.size();
    }

    /** Keep a row event of {@code table}: mapped in memory up to the budget, past it on disk. */
    void add(String table, SourceRecord r) {
        lastRow = r;
        if ( spill == null && rows.size() < memoryRows ) {
            RowMapper.DatasetChange change = mapping.change(table, r);
            if ( change != null )
                rows.add(change);
            return;
        }
        if ( spill == null ) {
            spill = new RowSpill(spillDir);
            spilledTransactions.incrementAndGet();
            LOG.info("Source '{}' (dataset '{}'): transaction {} has more than {} row changes (cdc:spillThresholdRows): the rest go to {} until it is applied",
                     settings.name(), datasetName, id, memoryRows, spill.file());
        }
        spill.append(r);
        spilledRows.incrementAndGet();
    }

    /** It is complete (at {@code position}): hand its rows over, and start empty for the next one. */
    CompletedTransaction complete(Position position) {
        CompletedTransaction done = new CompletedTransaction(List.copyOf(rows), spill, position, new LinkedHashMap<>(headers), id);
        rows.clear();
        spill = null;
        headers.clear();
        lastRow = null;
        id = null;
        return done;
    }

    /** Source transactions whose row changes went partly to disk. */
    long spilledTransactions() {
        return spilledTransactions.get();
    }

    /** Row events written to disk, all transactions together. */
    long spilledRows() {
        return spilledRows.get();
    }

    /** Remove its rows on disk, if any. */
    void closeSpill() {
        if ( spill != null ) {
            spill.close();
            spill = null;
        }
    }
}
