package org.fusekicdc.source.relational;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives the Debezium engine's change events and applies them to the dataset: the row changes
 * of one database transaction (between its BEGIN and END transaction events) as one dataset
 * transaction, whose patch headers name the source, the commit position and the transaction; the
 * rows of the initial snapshot as one dataset transaction per engine batch.
 * <p>
 * Exactly once: an event is marked processed (so its offset may be committed) only after the
 * dataset transaction holding it has committed; a transaction whose position is not after the
 * last one applied (re-delivered after a crash, see {@link AppliedPosition}) is skipped.
 * <p>
 * A snapshot clears the mapped tables' triples in its first dataset transaction, begun by its
 * first row or by the connector's report of its first table scanned ({@link SnapshotNotifications}),
 * whichever comes first: a snapshot taken again after a crash (or because the stream position was
 * lost) then leaves no row the database no longer has, even when it sends no row. TRUNCATE clears
 * the table's triples.
 * <p>
 * When the source is behind, the transactions complete in one engine batch are applied together,
 * as one dataset transaction whose patch carries the last one's position and transaction headers
 * and {@code sourceTransactions} = how many (docs/sources.md): one store commit instead of one per
 * transaction. Exactly once still holds: the patch is atomic and its position is that of its last
 * transaction. A quiet stream sends one transaction per batch, so each stays a patch of its own.
 * <p>
 * The dataset writes run on a writer thread, one at a time ({@link DatasetWriter}). While the
 * source is behind (a full engine batch), a write goes on while the next rows are mapped, and its
 * events are marked once it has committed; after a smaller batch it is waited for, so a quiet
 * stream's offsets follow each transaction. The applied position advances on the writer thread
 * with the commit.
 * <p>
 * Memory is bounded by {@code cdc:spillThresholdRows} row changes, twice over with a write under
 * way: completed transactions are applied before the one in progress would take more
 * ({@link TransactionGroup}), and a transaction larger than that keeps its further row events in
 * a file ({@link SourceTransaction}) until it is applied, still as one dataset transaction. A
 * transaction's events are marked processed by its last one (offsets are per partition, the last
 * marked wins: {@link EventMarks}), so the engine's events are not held either.
 * <p>
 * This class follows the events and applies them; rows become dataset changes in
 * {@link RowEventMapping}, and the snapshot's rows wait in {@link SnapshotRows}.
 */
public final class ChangeApplier implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);

    private final RelationalSettings settings;
    private final Dialect dialect;
    private final CapturingDatasetGraph dsg;
    private final AppliedPosition applied;
    private final String transactionTopic;
    private final String notificationTopic;

    private final RowEventMapping mapping;
    private final EventMarks marks;
    private final SourceTransaction txn;
    /**
     * Without transaction metadata: a row of the statement applied at the end of the last batch.
     * Its events stay unmarked until a row of another statement shows the statement complete: its
     * rows may continue in the next batch, and the connector cannot restart inside a rows event.
     */
    private SourceRecord heldStatement;
    /** Transactions complete but not yet written, applied together by {@link #flush()}. */
    private final TransactionGroup group;
    private final SnapshotRows snapshot;
    private final DatasetWriter writer;
    /** Debezium's max.batch.size: a batch this full means more events are waiting, so the write may go on beside the next batch. */
    private final int maxBatchSize;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();

    /**
     * @param maxBatchSize the engine's {@code max.batch.size}: a batch of this many events means
     *                     the source is behind, and its dataset write may go on while the next
     *                     batch is mapped; after a smaller batch the write is waited for
     */
    public ChangeApplier(RelationalSettings settings, Dialect dialect, RowMapper mapper, CapturingDatasetGraph dsg, AppliedPosition applied, int maxBatchSize) {
        this.settings = settings;
        this.maxBatchSize = maxBatchSize;
        this.dialect = dialect;
        this.dsg = dsg;
        this.applied = applied;
        this.transactionTopic = settings.topicPrefix() + ".transaction";
        this.notificationTopic = SnapshotNotifications.topic(settings.topicPrefix());
        this.mapping = new RowEventMapping(settings, mapper, dsg.datasetName());
        this.marks = new EventMarks(dialect);
        this.txn = new SourceTransaction(settings, dsg.datasetName(), mapping);
        this.group = new TransactionGroup(settings.spillThresholdRows());
        this.snapshot = new SnapshotRows(settings, mapper, dsg.datasetName());
        this.writer = new DatasetWriter(dsg, settings.name());
    }

    public long transactions() {
        return transactions.get();
    }

    public long rows() {
        return rows.get();
    }

    /** Source transactions whose row changes went partly to disk ({@code cdc:spillThresholdRows}). */
    public long spilledTransactions() {
        return txn.spilledTransactions();
    }

    /** Row events written to disk, all transactions together. */
    public long spilledRows() {
        return txn.spilledRows();
    }

    /** Why the source must stop, or null. */
    public UnmappableRowException stopCause() {
        return mapping.stopCause();
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        marks.batch(committer);
        for ( RecordChangeEvent<SourceRecord> event : records ) {
            SourceRecord r = event.record();
            if ( r.topic().equals(notificationTopic) ) {
                // Never marked: its offset is the connector's, not a row's (the next row's offset covers it).
                if ( SnapshotNotifications.tableScanned(r) )
                    snapshot.begin("a table was scanned");
                continue;
            }
            marks.received(event, txn.id() != null && r.value() != null && !r.topic().equals(transactionTopic));
            if ( r.value() == null )
                continue;   // tombstone
            if ( r.topic().equals(transactionTopic) ) {
                Struct v = (Struct)r.value();
                switch (v.getString("status")) {
                    case "BEGIN" -> {
                        applySnapshotRows();
                        if ( txn.id() != null && txn.rowsInMemory() > 0 )
                            throw new IllegalStateException("Source '" + settings.name() + "': transaction " + v.getString("id") + " began before " + txn.id() + " ended");
                        txn.begin(v.getString("id"));
                    }
                    case "END" -> {
                        applyTransaction(dialect.transactionPosition(r, txn.lastRow()));
                        marks.allReceived();
                        if ( group.full() )
                            flush();
                    }
                    default -> LOG.debug("Source '{}': transaction event {}", settings.name(), v);
                }
                continue;
            }
            String table = mapping.table(r.topic());
            if ( table == null ) {
                LOG.debug("Source '{}': event on {} (not mapped) ignored", settings.name(), r.topic());
                continue;
            }
            Struct v = (Struct)r.value();
            String op = v.getString("op");
            Struct source = v.getStruct("source");
            if ( op.equals("r") ) {
                snapshot.begin("its first row arrived");
                snapshot.add(mapping.map(table, op, (Struct)r.key(), null, v.getStruct("after")), dialect.snapshotPosition(r));
                continue;
            }
            applySnapshotRows();
            SourceRecord lastRow = txn.lastRow();
            if ( txn.id() == null && lastRow != null && !dialect.sameTransaction(lastRow, r) ) {
                // No transaction metadata: the previous rows' transaction ended where this one's starts.
                dialect.transactionEndHeaders(lastRow, txn.headers());
                applyTransaction(dialect.transactionPosition(null, lastRow));
                marks.allBefore(event);
                heldStatement = null;
            } else if ( txn.id() == null && heldStatement != null && !dialect.sameStatement(heldStatement, r) ) {
                marks.allBefore(event);
                heldStatement = null;
            }
            if ( txn.id() == null && alreadyApplied(r) ) {
                // Sent again after a restart (a held statement): its rows up to the applied position are in the dataset.
                LOG.debug("Source '{}' (dataset '{}'): row at {} was applied before; skipped", settings.name(), dsg.datasetName(), r.sourceOffset());
                continue;
            }
            if ( txn.headers().isEmpty() )
                dialect.transactionHeaders(source, txn.headers());
            if ( !group.roomFor(txn.rowsInMemory() + 1) )
                flush();   // the completed transactions first: together they and this row's transaction stay within the budget
            txn.add(table, r);
        }
        SourceRecord last = txn.lastRow();
        if ( txn.id() == null && last != null && dialect.transactionComplete(last) ) {
            // Without transaction metadata the batch's end closes the transaction in progress when
            // the dialect finds no more of its rows to come (else its rows wait for the next batch;
            // a statement whose rows the engine splits over two batches becomes two patches).
            dialect.transactionEndHeaders(last, txn.headers());
            applyTransaction(dialect.transactionPosition(null, last));
            marks.allBeforeStatement(last);
            heldStatement = last;
        }
        if ( applySnapshotRows() )
            marks.allReceived();
        flush();
        if ( records.size() < maxBatchSize )
            awaitWrite();   // caught up: the events are marked now, not with the next batch
        committer.markBatchFinished();
    }

    /** True when the row's own position is not after the last applied one. */
    private boolean alreadyApplied(SourceRecord row) {
        Position done = applied.position();
        Position at = dialect.transactionPosition(null, row);
        return done != null && at != null && !at.isAfter(done);
    }

    /** The transaction in progress is complete: queue it for {@link #flush()}, unless it was applied before. */
    private void applyTransaction(Position position) throws InterruptedException {
        CompletedTransaction done = txn.complete(position);
        Position before = lastQueuedPosition();
        if ( position != null && before != null && !position.isAfter(before) ) {
            LOG.info("Source '{}' (dataset '{}'): transaction {} (position {}) was applied before; skipped", settings.name(), dsg.datasetName(),
                     done.headers().isEmpty() ? done.id() : done.headers().values(), position);
            done.close();
            return;
        }
        if ( !group.roomFor(done.changes().size()) )
            flush();
        group.add(done);
    }

    /** The position of the last transaction applied or queued. */
    private Position lastQueuedPosition() {
        Position queued = group.lastPosition();
        if ( queued != null )
            return queued;
        Position done = applied.position();
        Position writing = writer.position();
        return writing != null && writing.isAfter(done) ? writing : done;
    }

    /**
     * Write the completed transactions as one dataset transaction (on the writer thread, beside
     * the mapping of the next rows), then mark the events received up to the last of them
     * processed once it has committed (the engine may then store their offsets).
     */
    private void flush() throws InterruptedException {
        if ( !group.isEmpty() ) {
            List<CompletedTransaction> batch = group.take();
            CompletedTransaction last = batch.get(batch.size() - 1);
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put(PatchHeaders.SOURCE, settings.name());
            headers.put(PatchHeaders.SOURCE_CONNECTOR, dialect.connector());
            if ( last.position() != null )
                headers.put(dialect.positionHeader(), last.position().text());
            headers.putAll(last.headers());
            if ( batch.size() > 1 )
                headers.put(PatchHeaders.SOURCE_TRANSACTIONS, Integer.toString(batch.size()));
            Position position = null;
            long count = 0;
            for ( CompletedTransaction c : batch ) {
                if ( c.position() != null )
                    position = c.position();
                count += c.rows();
            }
            Position at = position;
            long rowCount = count;
            submit(() -> batch.forEach(c -> c.applyTo(dsg, mapping)), headers, at, version -> {
                if ( at != null )
                    applied.advance(at);
                transactions.addAndGet(batch.size());
                rows.addAndGet(rowCount);
                LOG.debug("Source '{}' (dataset '{}'): {} transaction(s) up to {} at {} applied: {} row changes, version {}", settings.name(), dsg.datasetName(),
                          batch.size(), last.id(), at, rowCount, version);
            }, () -> batch.forEach(CompletedTransaction::close));
        }
        marks.written(writer.busy());
    }

    /** Apply the buffered snapshot rows, if any; true if it did. */
    private boolean applySnapshotRows() throws InterruptedException {
        if ( snapshot.isEmpty() )
            return false;
        if ( !group.isEmpty() )
            flush();   // in order: streamed transactions queued before
        List<RowMapper.DatasetChange> changes = snapshot.take();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PatchHeaders.SOURCE, settings.name());
        headers.put(PatchHeaders.SOURCE_CONNECTOR, dialect.connector());
        headers.put(PatchHeaders.SOURCE_SNAPSHOT, "true");
        String cleared = snapshot.takeCleared();
        if ( cleared != null )
            headers.put(PatchHeaders.SOURCE_SNAPSHOT_CLEARED, cleared);
        Position at = snapshot.position();
        if ( at != null )
            headers.put(dialect.positionHeader(), at.text());
        submit(() -> changes.forEach(c -> c.apply(dsg)), headers, at, version -> {
            // The snapshot shows every transaction committed up to its position: one sent again is not applied again.
            if ( at != null && at.isAfter(applied.position()) )
                applied.advance(at);
            transactions.incrementAndGet();
            rows.addAndGet(changes.size());
            LOG.info("Source '{}' (dataset '{}'): snapshot rows applied: {} (version {})", settings.name(), dsg.datasetName(), changes.size(), version);
        }, () -> {});
        return true;
    }

    /**
     * Start one dataset write transaction on the writer thread, after the one under way (which is
     * waited for, and its events marked). {@code committed} runs on the writer thread right
     * after the commit, with the log's head version: the applied position advances with the data
     * even if the engine stops before the events are marked, so that events sent again after a
     * restart are skipped. {@code cleanup} runs after the write in any case.
     */
    private void submit(Runnable changes, Map<String, String> headers, Position position, LongConsumer committed, Runnable cleanup)
            throws InterruptedException {
        awaitWrite();
        writer.start(changes, headers, position, committed, cleanup);
    }

    /** Wait for the write under way, if any, to its end; then mark its events processed. */
    private void awaitWrite() throws InterruptedException {
        if ( !writer.busy() )
            return;
        RecordChangeEvent<SourceRecord> mark = marks.takeAfterWrite();
        try {
            writer.await();
        } catch (UnmappableRowException ure) {
            // Found while applying (an R2RML delta): nothing of the transaction is applied, and the source stops.
            throw mapping.stop(ure.getMessage());
        }
        if ( mark != null )
            marks.markNow(mark);
    }

    /**
     * Stop the writer thread (after the engine has stopped), once the write under way has ended:
     * the next engine's applier then starts from the position it committed.
     */
    public void close() {
        Throwable failed = writer.shutdown();
        if ( failed instanceof UnmappableRowException ure )
            mapping.stop(ure.getMessage());
        else if ( failed != null )
            LOG.warn("Source '{}' (dataset '{}'): the last dataset write, under way when the engine stopped, failed (its changes are sent again): {}",
                     settings.name(), dsg.datasetName(), String.valueOf(failed));
        txn.closeSpill();
        group.close();
    }
}
