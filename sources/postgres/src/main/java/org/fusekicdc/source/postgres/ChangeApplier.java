package org.fusekicdc.source.postgres;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import org.apache.jena.query.TxnType;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the Debezium engine's change events and applies them to the dataset: the row changes
 * of one database transaction (between its BEGIN and END transaction events) as one dataset
 * transaction, whose patch headers name the source, the commit LSN and the transaction id; the
 * rows of the initial snapshot as one dataset transaction per engine batch.
 * <p>
 * Exactly once: an event is marked processed (so its offset may be committed) only after the
 * dataset transaction holding it has committed; a transaction whose commit LSN is not after the
 * last one applied (re-delivered after a crash, see {@link AppliedPosition}) is skipped.
 */
final class ChangeApplier implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);
    static final String CONNECTOR = "postgresql";

    private final PostgresSourceConfig config;
    private final CapturingDatasetGraph dsg;
    private final AppliedPosition applied;
    private final Map<String, TableMapping> byTopic = new LinkedHashMap<>();
    private final String transactionTopic;

    /** Events received but not yet applied (their offsets must not be committed). */
    private final List<RecordChangeEvent<SourceRecord>> unmarked = new ArrayList<>();
    private final List<RowChange> txnRows = new ArrayList<>();
    private String txnId;
    private Long txnXid;
    private final List<RowChange> snapshotRows = new ArrayList<>();
    private Long snapshotLsn;

    final AtomicLong transactions = new AtomicLong();
    final AtomicLong rows = new AtomicLong();
    /** Set when a row could not be mapped and the source must stop. */
    volatile UnmappableRowException stopCause;

    ChangeApplier(PostgresSourceConfig config, CapturingDatasetGraph dsg, AppliedPosition applied) {
        this.config = config;
        this.dsg = dsg;
        this.applied = applied;
        for ( TableMapping m : config.tables() )
            byTopic.put(config.topicPrefix() + "." + m.table(), m);
        this.transactionTopic = config.topicPrefix() + ".transaction";
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        for ( RecordChangeEvent<SourceRecord> event : records ) {
            SourceRecord r = event.record();
            unmarked.add(event);
            if ( r.value() == null )
                continue;   // tombstone
            if ( r.topic().equals(transactionTopic) ) {
                Struct v = (Struct)r.value();
                switch (v.getString("status")) {
                    case "BEGIN" -> {
                        applySnapshotRows();
                        if ( txnId != null && !txnRows.isEmpty() )
                            throw new IllegalStateException("Source '" + config.name() + "': transaction " + v.getString("id") + " began before " + txnId + " ended");
                        txnId = v.getString("id");
                        txnXid = null;
                        txnRows.clear();
                    }
                    case "END" -> {
                        applyTransaction(lsn(r));
                        mark(committer);
                    }
                    default -> LOG.debug("Source '{}': transaction event {}", config.name(), v);
                }
                continue;
            }
            TableMapping m = byTopic.get(r.topic());
            if ( m == null ) {
                LOG.debug("Source '{}': event on {} (not mapped) ignored", config.name(), r.topic());
                continue;
            }
            Struct v = (Struct)r.value();
            String op = v.getString("op");
            Struct source = v.getStruct("source");
            Struct row = op.equals("d") ? v.getStruct("before") : v.getStruct("after");
            RowChange change = map(m, op, (Struct)r.key(), row);
            if ( op.equals("r") ) {
                if ( change != null )
                    snapshotRows.add(change);
                snapshotLsn = source.getInt64("lsn");
                continue;
            }
            applySnapshotRows();
            if ( txnXid == null )
                txnXid = source.getInt64("txId");
            if ( change != null )
                txnRows.add(change);
            if ( txnId == null ) {
                // No transaction metadata on this event: it is its own transaction.
                applyTransaction(lsn(r));
                mark(committer);
            }
        }
        if ( applySnapshotRows() )
            mark(committer);
        committer.markBatchFinished();
    }

    private RowChange map(TableMapping m, String op, Struct key, Struct row) {
        try {
            return RowChange.of(m, op, key, row);
        } catch (UnmappableRowException ex) {
            String where = "table " + m.table() + ", key " + RowChange.keyText(key) + ", op " + op;
            if ( config.skipUnmappable() ) {
                LOG.warn("Source '{}' (dataset '{}'): skipped a row the mapping cannot turn into RDF: {}: {}", config.name(), dsg.datasetName(), where, ex.getMessage());
                return null;
            }
            UnmappableRowException stop = new UnmappableRowException("Source '" + config.name() + "' stopped: " + where + ": " + ex.getMessage()
                                                                     + ". Fix the mapping or the row and restart, or set cdc:onUnmappableRow \"skip\".");
            stopCause = stop;
            throw stop;
        }
    }

    private static long lsn(SourceRecord r) {
        Object lsn = r.sourceOffset().get("lsn");
        return lsn == null ? -1 : ((Number)lsn).longValue();
    }

    private void mark(DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        for ( RecordChangeEvent<SourceRecord> e : unmarked )
            committer.markProcessed(e);
        unmarked.clear();
    }

    private void applyTransaction(long commitLsn) {
        List<RowChange> changes = List.copyOf(txnRows);
        String id = txnId;
        Long xid = txnXid;
        txnRows.clear();
        txnId = null;
        txnXid = null;
        if ( commitLsn >= 0 && commitLsn <= applied.lsn() ) {
            LOG.info("Source '{}' (dataset '{}'): transaction {} (commit LSN {}) was applied before; skipped", config.name(), dsg.datasetName(),
                     xid, AppliedPosition.format(commitLsn));
            return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PatchHeaders.SOURCE, config.name());
        headers.put(PatchHeaders.SOURCE_CONNECTOR, CONNECTOR);
        if ( commitLsn >= 0 )
            headers.put(PatchHeaders.SOURCE_LSN, AppliedPosition.format(commitLsn));
        if ( xid != null )
            headers.put(PatchHeaders.SOURCE_TXID, xid.toString());
        long version = write(changes, headers);
        if ( commitLsn >= 0 )
            applied.advance(commitLsn);
        transactions.incrementAndGet();
        rows.addAndGet(changes.size());
        LOG.debug("Source '{}' (dataset '{}'): transaction {} ({}) applied: {} row changes, version {}", config.name(), dsg.datasetName(), xid, id,
                  changes.size(), version);
    }

    /** Apply the buffered snapshot rows, if any; true if it did. */
    private boolean applySnapshotRows() {
        if ( snapshotRows.isEmpty() )
            return false;
        List<RowChange> changes = List.copyOf(snapshotRows);
        snapshotRows.clear();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PatchHeaders.SOURCE, config.name());
        headers.put(PatchHeaders.SOURCE_CONNECTOR, CONNECTOR);
        headers.put(PatchHeaders.SOURCE_SNAPSHOT, "true");
        if ( snapshotLsn != null )
            headers.put(PatchHeaders.SOURCE_LSN, AppliedPosition.format(snapshotLsn));
        long version = write(changes, headers);
        // The snapshot shows every transaction committed up to its position: one sent again is not applied again.
        if ( snapshotLsn != null && snapshotLsn > applied.lsn() )
            applied.advance(snapshotLsn);
        transactions.incrementAndGet();
        rows.addAndGet(changes.size());
        LOG.info("Source '{}' (dataset '{}'): snapshot rows applied: {} (version {})", config.name(), dsg.datasetName(), changes.size(), version);
        return true;
    }

    /** One dataset write transaction; returns the log's head version after it. */
    private long write(List<RowChange> changes, Map<String, String> headers) {
        dsg.begin(TxnType.WRITE);
        boolean committed = false;
        try {
            for ( RowChange c : changes )
                c.apply(dsg);
            dsg.commit(headers);
            committed = true;
        } finally {
            if ( !committed )
                dsg.abort();
            dsg.end();
        }
        return dsg.changeLog().headVersion();
    }
}
