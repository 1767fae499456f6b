package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Marks the engine's events processed, so that the engine may commit their offsets, only once a
 * committed dataset transaction holds their changes. Offsets are per partition and the last
 * marked wins, so marking the last event of a run marks the ones before: only that one is held.
 */
final class EventMarks {
    private final Dialect dialect;
    private DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer;
    /** Events received but not yet applied (their offsets must not be committed). */
    private final List<RecordChangeEvent<SourceRecord>> unmarked = new ArrayList<>();
    /** True when the last of {@link #unmarked} is a row event of the transaction in progress: the next one can take its place. */
    private boolean lastUnmarkedIsTxnRow;
    /** The last event received whose mark waits for the queued transactions to be written. */
    private RecordChangeEvent<SourceRecord> ready;
    /** The last event of the dataset write under way: marked once it has committed. */
    private RecordChangeEvent<SourceRecord> afterWrite;

    EventMarks(Dialect dialect) {
        this.dialect = dialect;
    }

    /** The engine's committer of the batch being handled. */
    void batch(DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) {
        this.committer = committer;
    }

    /** An event was received; {@code txnRow}: a row event of the transaction in progress. */
    void received(RecordChangeEvent<SourceRecord> event, boolean txnRow) {
        if ( txnRow && lastUnmarkedIsTxnRow && !unmarked.isEmpty() )
            unmarked.set(unmarked.size() - 1, event);  // marking the transaction's last event marks the ones before
        else
            unmarked.add(event);
        lastUnmarkedIsTxnRow = txnRow;
    }

    /**
     * The events received so far are applied, or queued to be: the last of them is marked
     * processed once they are written ({@link #written}).
     */
    void allReceived() {
        if ( !unmarked.isEmpty() )
            ready = unmarked.get(unmarked.size() - 1);
        unmarked.clear();
    }

    /** As {@link #allReceived()} for every event received before {@code current}. */
    void allBefore(RecordChangeEvent<SourceRecord> current) {
        unmarked.remove(unmarked.size() - 1);
        allReceived();
        unmarked.add(current);
    }

    /** As {@link #allReceived()} for the events received before the first one of {@code statement}'s statement; that statement's stay unmarked. */
    void allBeforeStatement(SourceRecord statement) {
        int first = 0;
        while ( first < unmarked.size() && !dialect.sameStatement(unmarked.get(first).record(), statement) )
            first++;
        List<RecordChangeEvent<SourceRecord>> held = new ArrayList<>(unmarked.subList(first, unmarked.size()));
        unmarked.subList(first, unmarked.size()).clear();
        allReceived();
        unmarked.addAll(held);
    }

    /**
     * The queued transactions are written, or handed to the dataset write now under way
     * ({@code writeUnderWay}): their last event is marked now, or once that write commits
     * ({@link #takeAfterWrite()}).
     */
    void written(boolean writeUnderWay) throws InterruptedException {
        if ( ready == null )
            return;
        if ( writeUnderWay )
            afterWrite = ready;   // after the events of the write under way: marked once it commits
        else
            markNow(ready);
        ready = null;
    }

    /** The event to mark once the write under way has committed, or null; it is no longer held. */
    RecordChangeEvent<SourceRecord> takeAfterWrite() {
        RecordChangeEvent<SourceRecord> e = afterWrite;
        afterWrite = null;
        return e;
    }

    /** Mark {@code e} processed, with the offset the connector restarts from. */
    void markNow(RecordChangeEvent<SourceRecord> e) throws InterruptedException {
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
}
