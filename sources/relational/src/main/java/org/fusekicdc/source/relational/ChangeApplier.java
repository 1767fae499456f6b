package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

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
 * The dataset writes run on a writer thread, one at a time. While the source is behind (a full
 * engine batch), a write goes on while the next rows are mapped, and its events are marked
 * once it has committed; after a smaller batch it is waited for, so a quiet stream's offsets
 * follow each transaction. The applied position advances on the writer thread with the commit.
 * <p>
 * Memory is bounded by {@code cdc:spillThresholdRows} row changes, twice over with a write under
 * way: completed transactions are
 * applied before the one in progress would take more, and a transaction larger than that keeps
 * its further row events in a file ({@link RowSpill}) until it is applied, still as one
 * dataset transaction. A transaction's events are marked processed by its last one (offsets are
 * per partition, the last marked wins), so the engine's events are not held either.
 */
public final class ChangeApplier implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeApplier.class);

    private final RelationalSettings settings;
    private final Dialect dialect;
    private final RowMapper mapper;
    private final CapturingDatasetGraph dsg;
    private final AppliedPosition applied;
    private final Map<String, String> tableByTopic = new LinkedHashMap<>();
    private final String transactionTopic;
    private final String notificationTopic;

    /** Events received but not yet applied (their offsets must not be committed). */
    private final List<RecordChangeEvent<SourceRecord>> unmarked = new ArrayList<>();
    private final List<RowMapper.DatasetChange> txnRows = new ArrayList<>();
    private final Map<String, String> txnHeaders = new LinkedHashMap<>();
    private SourceRecord txnLastRow;
    /**
     * Without transaction metadata: a row of the statement applied at the end of the last batch.
     * Its events stay unmarked until a row of another statement shows the statement complete: its
     * rows may continue in the next batch, and the connector cannot restart inside a rows event.
     */
    private SourceRecord heldStatement;
    private String txnId;
    /** The current transaction's row events past {@link #memoryRows}, or null. */
    private RowSpill txnSpill;
    /** True when the last of {@link #unmarked} is a row event of the transaction in progress: the next one can take its place. */
    private boolean lastUnmarkedIsTxnRow;
    /** Transactions complete but not yet written, applied together by {@link #flush()}. */
    private final List<Completed> group = new ArrayList<>();
    private long groupRows;
    /** The last event received whose mark waits for {@link #group} to be written. */
    private RecordChangeEvent<SourceRecord> readyMark;
    private DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer;
    private final int memoryRows;
    private final java.nio.file.Path spillDir;
    private final List<RowMapper.DatasetChange> snapshotRows = new ArrayList<>();
    private Position snapshotPosition;
    private boolean snapshotStarted;
    /** The tables the next snapshot patch clears (its header), or null once that patch is written. */
    private String snapshotCleared;

    private final ExecutorService writer;
    /**
     * The dataset write under way on the writer thread, or null: at most one, so that mapping the
     * next rows overlaps it while the source is behind. Its events are marked processed
     * ({@link #inFlightMark}) only once it has committed.
     */
    private volatile Future<Long> inFlight;
    private RecordChangeEvent<SourceRecord> inFlightMark;
    /** The position of the last transaction {@link #inFlight} applies, or null. */
    private Position inFlightPosition;
    /** Debezium's max.batch.size: a batch this full means more events are waiting, so the write may go on beside the next batch. */
    private final int maxBatchSize;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong rows = new AtomicLong();
    private final AtomicLong spilledTransactions = new AtomicLong();
    private final AtomicLong spilledRows = new AtomicLong();
    /** Set when a row could not be mapped and the source must stop. */
    private volatile UnmappableRowException stopCause;

    /**
     * @param maxBatchSize the engine's {@code max.batch.size}: a batch of this many events means
     *                     the source is behind, and its dataset write may go on while the next
     *                     batch is mapped; after a smaller batch the write is waited for
     */
    public ChangeApplier(RelationalSettings settings, Dialect dialect, RowMapper mapper, CapturingDatasetGraph dsg, AppliedPosition applied, int maxBatchSize) {
        this.settings = settings;
        this.maxBatchSize = maxBatchSize;
        this.dialect = dialect;
        this.mapper = mapper;
        this.dsg = dsg;
        this.applied = applied;
        for ( String t : mapper.tables() )
            tableByTopic.put(settings.topicPrefix() + "." + t, t);
        this.transactionTopic = settings.topicPrefix() + ".transaction";
        this.notificationTopic = SnapshotNotifications.topic(settings.topicPrefix());
        this.memoryRows = settings.spillThresholdRows();
        this.spillDir = settings.workDir().resolve("spill");
        RowSpill.removeLeftovers(spillDir);
        String thread = "fuseki-cdc-source-" + dsg.datasetName() + "-" + settings.name() + "-writer";
        this.writer = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, thread);
            t.setDaemon(true);
            return t;
        });
    }

    public long transactions() {
        return transactions.get();
    }

    public long rows() {
        return rows.get();
    }

    /** Source transactions whose row changes went partly to disk ({@code cdc:spillThresholdRows}). */
    public long spilledTransactions() {
        return spilledTransactions.get();
    }

    /** Row events written to disk, all transactions together. */
    public long spilledRows() {
        return spilledRows.get();
    }

    /** Why the source must stop, or null. */
    public UnmappableRowException stopCause() {
        return stopCause;
    }

    @Override
    public void handleBatch(List<RecordChangeEvent<SourceRecord>> records, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        this.committer = committer;
        for ( RecordChangeEvent<SourceRecord> event : records ) {
            SourceRecord r = event.record();
            if ( r.topic().equals(notificationTopic) ) {
                // Never marked: its offset is the connector's, not a row's (the next row's offset covers it).
                if ( SnapshotNotifications.tableScanned(r) )
                    beginSnapshot("a table was scanned");
                continue;
            }
            boolean txnRow = txnId != null && r.value() != null && !r.topic().equals(transactionTopic);
            if ( txnRow && lastUnmarkedIsTxnRow && !unmarked.isEmpty() )
                unmarked.set(unmarked.size() - 1, event);  // marking the transaction's last event marks the ones before
            else
                unmarked.add(event);
            lastUnmarkedIsTxnRow = txnRow;
            if ( r.value() == null )
                continue;   // tombstone
            if ( r.topic().equals(transactionTopic) ) {
                Struct v = (Struct)r.value();
                switch (v.getString("status")) {
                    case "BEGIN" -> {
                        applySnapshotRows();
                        if ( txnId != null && !txnRows.isEmpty() )
                            throw new IllegalStateException("Source '" + settings.name() + "': transaction " + v.getString("id") + " began before " + txnId + " ended");
                        txnId = v.getString("id");
                        txnRows.clear();
                        closeSpill();
                        txnHeaders.clear();
                        txnLastRow = null;
                    }
                    case "END" -> {
                        applyTransaction(dialect.transactionPosition(r, txnLastRow));
                        mark(committer);
                        if ( !group.isEmpty() && (groupRows >= memoryRows || group.get(group.size() - 1).spill() != null) )
                            flush();
                    }
                    default -> LOG.debug("Source '{}': transaction event {}", settings.name(), v);
                }
                continue;
            }
            String table = tableByTopic.get(r.topic());
            if ( table == null ) {
                LOG.debug("Source '{}': event on {} (not mapped) ignored", settings.name(), r.topic());
                continue;
            }
            Struct v = (Struct)r.value();
            String op = v.getString("op");
            Struct source = v.getStruct("source");
            if ( op.equals("r") ) {
                beginSnapshot("its first row arrived");
                RowMapper.DatasetChange change = map(table, op, (Struct)r.key(), null, v.getStruct("after"));
                if ( change != null )
                    snapshotRows.add(change);
                snapshotPosition = dialect.snapshotPosition(r);
                continue;
            }
            applySnapshotRows();
            if ( txnId == null && txnLastRow != null && !dialect.sameTransaction(txnLastRow, r) ) {
                // No transaction metadata: the previous rows' transaction ended where this one's starts.
                dialect.transactionEndHeaders(txnLastRow, txnHeaders);
                applyTransaction(dialect.transactionPosition(null, txnLastRow));
                unmarkedBefore(event, committer);
                heldStatement = null;
            } else if ( txnId == null && heldStatement != null && !dialect.sameStatement(heldStatement, r) ) {
                unmarkedBefore(event, committer);
                heldStatement = null;
            }
            if ( txnId == null && alreadyApplied(r) ) {
                // Sent again after a restart (a held statement): its rows up to the applied position are in the dataset.
                LOG.debug("Source '{}' (dataset '{}'): row at {} was applied before; skipped", settings.name(), dsg.datasetName(), r.sourceOffset());
                continue;
            }
            if ( txnHeaders.isEmpty() )
                dialect.transactionHeaders(source, txnHeaders);
            txnLastRow = r;
            buffer(table, r);
        }
        if ( txnId == null && txnLastRow != null && dialect.transactionComplete(txnLastRow) ) {
            // Without transaction metadata the batch's end closes the transaction in progress when
            // the dialect finds no more of its rows to come (else its rows wait for the next batch;
            // a statement whose rows the engine splits over two batches becomes two patches).
            SourceRecord last = txnLastRow;
            dialect.transactionEndHeaders(last, txnHeaders);
            applyTransaction(dialect.transactionPosition(null, last));
            markBefore(last, committer);
            heldStatement = last;
        }
        if ( applySnapshotRows() )
            mark(committer);
        flush();
        if ( records.size() < maxBatchSize )
            awaitWrite();   // caught up: the events are marked now, not with the next batch
        committer.markBatchFinished();
    }

    /** Keep a row event of the transaction in progress: mapped in memory up to the budget, past it on disk. */
    private void buffer(String table, SourceRecord r) throws InterruptedException {
        if ( !group.isEmpty() && groupRows + txnRows.size() >= memoryRows )
            flush();   // the completed transactions first: together they and this one stay within the budget
        if ( txnSpill == null && txnRows.size() < memoryRows ) {
            RowMapper.DatasetChange change = change(table, r);
            if ( change != null )
                txnRows.add(change);
            return;
        }
        if ( txnSpill == null ) {
            txnSpill = new RowSpill(spillDir);
            spilledTransactions.incrementAndGet();
            LOG.info("Source '{}' (dataset '{}'): transaction {} has more than {} row changes (cdc:spillThresholdRows): the rest go to {} until it is applied",
                     settings.name(), dsg.datasetName(), txnId, memoryRows, txnSpill.file());
        }
        txnSpill.append(r);
        spilledRows.incrementAndGet();
    }

    /** The dataset change of a row event (TRUNCATE included); null when skipped as unmappable. */
    private RowMapper.DatasetChange change(String table, SourceRecord r) {
        Struct v = (Struct)r.value();
        String op = v.getString("op");
        return op.equals("t") ? mapper.truncate(table) : map(table, op, (Struct)r.key(), v.getStruct("before"), v.getStruct("after"));
    }

    private RowMapper.DatasetChange map(String table, String op, Struct key, Struct before, Struct after) {
        try {
            return mapper.row(table, op, key, before, after);
        } catch (UnmappableRowException ex) {
            String where = "table " + table + ", key " + R2rmlRows.keyText(key) + ", op " + op;
            if ( settings.skipUnmappable() ) {
                LOG.warn("Source '{}' (dataset '{}'): skipped a row the mapping cannot turn into RDF: {}: {}", settings.name(), dsg.datasetName(), where, ex.getMessage());
                return null;
            }
            UnmappableRowException stop = new UnmappableRowException("Source '" + settings.name() + "' stopped: " + where + ": " + ex.getMessage()
                                                                     + ". Fix the mapping or the row and restart, or set cdc:onUnmappableRow \"skip\".");
            stopCause = stop;
            throw stop;
        }
    }

    /**
     * The events received so far are applied, or queued in {@link #group}: the last of them is
     * marked processed once the group is written ({@link #flush()}). Offsets are per partition and
     * the last marked wins, so marking the last one marks them all.
     */
    private void mark(DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) {
        if ( !unmarked.isEmpty() )
            readyMark = unmarked.get(unmarked.size() - 1);
        unmarked.clear();
    }

    private void markNow(RecordChangeEvent<SourceRecord> e) throws InterruptedException {
        Map<String, ?> own = e.record().sourceOffset();
        Map<String, ?> restart = dialect.restartOffset(e.record());
        if ( restart == own ) {
            committer.markProcessed(e);
            return;
        }
        DebeziumEngine.Offsets offsets = committer.buildOffsets();
        restart.forEach(offsets::set);
        committer.markProcessed(e, offsets);
    }

    /** Mark processed the events received before the first one of {@code statement}'s statement; keep that statement's unmarked. */
    private void markBefore(SourceRecord statement, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) {
        int first = 0;
        while ( first < unmarked.size() && !dialect.sameStatement(unmarked.get(first).record(), statement) )
            first++;
        List<RecordChangeEvent<SourceRecord>> held = new ArrayList<>(unmarked.subList(first, unmarked.size()));
        unmarked.subList(first, unmarked.size()).clear();
        mark(committer);
        unmarked.addAll(held);
    }

    /** True when the row's own position is not after the last applied one. */
    private boolean alreadyApplied(SourceRecord row) {
        Position done = applied.position();
        Position at = dialect.transactionPosition(null, row);
        return done != null && at != null && !at.isAfter(done);
    }

    /** Mark every event received before {@code current} processed. */
    private void unmarkedBefore(RecordChangeEvent<SourceRecord> current, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) {
        unmarked.remove(unmarked.size() - 1);
        mark(committer);
        unmarked.add(current);
    }

    /** A source transaction complete and not yet written. */
    private record Completed(List<RowMapper.DatasetChange> changes, RowSpill spill, Position position, Map<String, String> headers, String id) {
        long rows() {
            return changes.size() + (spill == null ? 0 : spill.rows());
        }
    }

    /** The transaction in progress is complete: queue it for {@link #flush()}, unless it was applied before. */
    private void applyTransaction(Position position) throws InterruptedException {
        List<RowMapper.DatasetChange> changes = List.copyOf(txnRows);
        RowSpill spill = txnSpill;
        Map<String, String> named = new LinkedHashMap<>(txnHeaders);
        String id = txnId;
        txnRows.clear();
        txnSpill = null;
        txnHeaders.clear();
        txnLastRow = null;
        txnId = null;
        Position done = lastQueuedPosition();
        if ( position != null && done != null && !position.isAfter(done) ) {
            LOG.info("Source '{}' (dataset '{}'): transaction {} (position {}) was applied before; skipped", settings.name(), dsg.datasetName(),
                     named.isEmpty() ? id : named.values(), position);
            if ( spill != null )
                spill.close();
            return;
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PatchHeaders.SOURCE, settings.name());
        headers.put(PatchHeaders.SOURCE_CONNECTOR, dialect.connector());
        if ( position != null )
            headers.put(dialect.positionHeader(), position.text());
        headers.putAll(named);
        if ( !group.isEmpty() && groupRows + changes.size() > memoryRows )
            flush();
        Completed c = new Completed(changes, spill, position, headers, id);
        group.add(c);
        groupRows += changes.size();
    }

    /** The position of the last transaction applied or queued. */
    private Position lastQueuedPosition() {
        for ( int i = group.size() - 1 ; i >= 0 ; i-- ) {
            if ( group.get(i).position() != null )
                return group.get(i).position();
        }
        Position done = applied.position();
        return inFlightPosition != null && inFlightPosition.isAfter(done) ? inFlightPosition : done;
    }

    /**
     * Write the completed transactions as one dataset transaction (on the writer thread, beside
     * the mapping of the next rows), then mark the events received up to the last of them
     * processed once it has committed (the engine may then store their offsets).
     */
    private void flush() throws InterruptedException {
        if ( !group.isEmpty() ) {
            List<Completed> batch = List.copyOf(group);
            group.clear();
            groupRows = 0;
            Completed last = batch.get(batch.size() - 1);
            Map<String, String> headers = new LinkedHashMap<>(last.headers());
            if ( batch.size() > 1 )
                headers.put(PatchHeaders.SOURCE_TRANSACTIONS, Integer.toString(batch.size()));
            Position position = null;
            long count = 0;
            for ( Completed c : batch ) {
                if ( c.position() != null )
                    position = c.position();
                count += c.rows();
            }
            Position at = position;
            long rowCount = count;
            submit(() -> {
                for ( Completed c : batch ) {
                    c.changes().forEach(change -> change.apply(dsg));
                    if ( c.spill() != null )
                        c.spill().replay(r -> {
                            RowMapper.DatasetChange change = change(tableByTopic.get(r.topic()), r);
                            if ( change != null )
                                change.apply(dsg);
                        });
                }
            }, headers, at, version -> {
                if ( at != null )
                    applied.advance(at);
                transactions.addAndGet(batch.size());
                rows.addAndGet(rowCount);
                LOG.debug("Source '{}' (dataset '{}'): {} transaction(s) up to {} at {} applied: {} row changes, version {}", settings.name(), dsg.datasetName(),
                          batch.size(), last.id(), at, rowCount, version);
            }, () -> batch.forEach(c -> {
                if ( c.spill() != null )
                    c.spill().close();
            }));
        }
        if ( readyMark != null ) {
            if ( inFlight != null )
                inFlightMark = readyMark;   // after the events of the write under way: marked once it commits
            else
                markNow(readyMark);
            readyMark = null;
        }
    }

    private void closeSpill() {
        if ( txnSpill != null ) {
            txnSpill.close();
            txnSpill = null;
        }
    }

    /**
     * The first event of a snapshot's data (a row, or the end of a table's scan, which comes
     * before that table's last row): the mapped tables' triples are cleared in the snapshot's
     * first dataset transaction, so that the snapshot leaves exactly the rows the database holds.
     */
    private void beginSnapshot(String why) {
        if ( snapshotStarted )
            return;
        snapshotStarted = true;
        snapshotCleared = String.join(",", mapper.tables());
        LOG.info("Source '{}' (dataset '{}'): snapshot begins ({}); the mapped tables' triples are cleared in its first dataset transaction: {}",
                 settings.name(), dsg.datasetName(), why, snapshotCleared);
        for ( String t : mapper.tables() )
            snapshotRows.add(mapper.clear(t));
    }

    /** Apply the buffered snapshot rows, if any; true if it did. */
    private boolean applySnapshotRows() throws InterruptedException {
        if ( snapshotRows.isEmpty() )
            return false;
        if ( !group.isEmpty() )
            flush();   // in order: streamed transactions queued before
        List<RowMapper.DatasetChange> changes = List.copyOf(snapshotRows);
        snapshotRows.clear();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(PatchHeaders.SOURCE, settings.name());
        headers.put(PatchHeaders.SOURCE_CONNECTOR, dialect.connector());
        headers.put(PatchHeaders.SOURCE_SNAPSHOT, "true");
        if ( snapshotCleared != null )
            headers.put(PatchHeaders.SOURCE_SNAPSHOT_CLEARED, snapshotCleared);
        snapshotCleared = null;
        if ( snapshotPosition != null )
            headers.put(dialect.positionHeader(), snapshotPosition.text());
        Position at = snapshotPosition;
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
     * <p>
     * The engine interrupts its threads when it stops; an interrupt inside the dataset's commit
     * (file channels close on interrupt) could leave the dataset's write lock held and every
     * later write waiting. So the write runs on a thread of its own and is waited for to its end.
     */
    private void submit(Runnable changes, Map<String, String> headers, Position position, LongConsumer committed, Runnable cleanup)
            throws InterruptedException {
        awaitWrite();
        inFlight = writer.submit(() -> {
            try {
                long version = writeNow(changes, headers);
                committed.accept(version);
                return version;
            } finally {
                cleanup.run();
            }
        });
        inFlightPosition = position;
    }

    /** An unmappable row found while applying (an R2RML delta): nothing of the transaction is applied, and the source stops. */
    private UnmappableRowException stopFor(UnmappableRowException ure) {
        UnmappableRowException stop = new UnmappableRowException("Source '" + settings.name() + "' stopped: " + ure.getMessage()
                                                                 + ". Fix the mapping or the row and restart, or set cdc:onUnmappableRow \"skip\".");
        stopCause = stop;
        return stop;
    }

    /** Wait for the write under way, if any, to its end; then mark its events processed. */
    private void awaitWrite() throws InterruptedException {
        Future<Long> done = inFlight;
        if ( done == null )
            return;
        RecordChangeEvent<SourceRecord> mark = inFlightMark;
        inFlight = null;
        inFlightMark = null;
        inFlightPosition = null;
        boolean interrupted = false;
        try {
            while ( true ) {
                try {
                    done.get();
                    break;
                } catch (InterruptedException ex) {
                    interrupted = true;
                } catch (ExecutionException ex) {
                    if ( ex.getCause() instanceof UnmappableRowException ure )
                        throw stopFor(ure);
                    if ( ex.getCause() instanceof RuntimeException re )
                        throw re;
                    if ( ex.getCause() instanceof Error e )
                        throw e;
                    throw new IllegalStateException(ex.getCause());
                }
            }
        } finally {
            if ( interrupted )
                Thread.currentThread().interrupt();
        }
        if ( mark != null )
            markNow(mark);
    }

    /**
     * Stop the writer thread (after the engine has stopped), once the write under way has ended:
     * the next engine's applier then starts from the position it committed.
     */
    public void close() {
        writer.shutdown();
        boolean interrupted = false;
        while ( !writer.isTerminated() ) {
            try {
                writer.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                interrupted = true;
            }
        }
        if ( interrupted )
            Thread.currentThread().interrupt();
        if ( inFlight != null ) {
            try {
                inFlight.get();
            } catch (ExecutionException ex) {
                if ( ex.getCause() instanceof UnmappableRowException ure )
                    stopFor(ure);
                else
                    LOG.warn("Source '{}' (dataset '{}'): the last dataset write, under way when the engine stopped, failed (its changes are sent again): {}",
                             settings.name(), dsg.datasetName(), String.valueOf(ex.getCause()));
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();   // the writer has ended: get() does not wait
            }
            inFlight = null;
        }
        closeSpill();
        group.forEach(c -> {
            if ( c.spill() != null )
                c.spill().close();
        });
        group.clear();
    }

    private long writeNow(Runnable changes, Map<String, String> headers) {
        dsg.begin(TxnType.WRITE);
        boolean committed = false;
        try {
            changes.run();
            dsg.commit(headers);
            committed = true;
        } finally {
            try {
                if ( !committed )
                    dsg.abort();
            } finally {
                dsg.end();   // always: a transaction left open would hold the write lock
            }
        }
        return dsg.changeLog().headVersion();
    }
}
