package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;

/**
 * Source transactions complete and not yet written, gathered to be written together as one
 * dataset transaction while the source is behind. The group's row changes in memory stay within
 * {@code cdc:spillThresholdRows}; a transaction partly on disk ends its group.
 */
final class TransactionGroup {
    private final int memoryRows;
    private final List<CompletedTransaction> queued = new ArrayList<>();
    private long rows;

    TransactionGroup(int memoryRows) {
        this.memoryRows = memoryRows;
    }

    boolean isEmpty() {
        return queued.isEmpty();
    }

    /** Whether {@code moreRows} more row changes in memory keep the group within the budget (an empty group takes any). */
    boolean roomFor(long moreRows) {
        return queued.isEmpty() || rows + moreRows <= memoryRows;
    }

    /** Whether the group is to be written now: at the budget, or its last transaction went partly to disk. */
    boolean full() {
        return !queued.isEmpty() && (rows >= memoryRows || queued.get(queued.size() - 1).spill() != null);
    }

    void add(CompletedTransaction t) {
        queued.add(t);
        rows += t.changes().size();
    }

    /** The position of the last transaction queued that has one, or null. */
    Position lastPosition() {
        for ( int i = queued.size() - 1 ; i >= 0 ; i-- ) {
            if ( queued.get(i).position() != null )
                return queued.get(i).position();
        }
        return null;
    }

    /** Take the queued transactions, to be written; the group is empty after. */
    List<CompletedTransaction> take() {
        List<CompletedTransaction> batch = List.copyOf(queued);
        queued.clear();
        rows = 0;
        return batch;
    }

    /** Drop the queued transactions, removing their rows on disk. */
    void close() {
        queued.forEach(CompletedTransaction::close);
        queued.clear();
    }
}
