package org.fusekicdc.source.relational;

import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * What differs between the databases a relational source follows, as far as applying change
 * events goes: the connector's name, how its positions are read, written and ordered, and the
 * transaction headers it adds to patches.
 */
public interface Dialect {
    /** The {@code sourceConnector} header value, e.g. {@code postgresql}. */
    String connector();

    /** The patch header holding the position, e.g. {@code sourceLsn}. */
    String positionHeader();

    /** A position from its header text; IllegalArgumentException when it is not one. */
    Position parse(String text);

    /**
     * The position of a streamed transaction, for ordering and exactly-once: from its END event
     * and (null when the transaction had no row event) its last row event.
     * Null when the events carry none.
     */
    Position transactionPosition(SourceRecord end, SourceRecord lastRow);

    /** The position of a snapshot row: the stream position the snapshot shows. */
    Position snapshotPosition(SourceRecord row);

    /**
     * For events that come without transaction metadata: whether row event {@code b} belongs to
     * the same database transaction as the row event {@code a} before it. False by default: each
     * such event is a transaction of its own.
     */
    default boolean sameTransaction(SourceRecord a, SourceRecord b) {
        return false;
    }

    /**
     * For events without transaction metadata: whether row events {@code a} and {@code b} come
     * from the same statement (one binlog rows event), which the connector cannot restart
     * inside. By default the same as {@link #sameTransaction}.
     */
    default boolean sameStatement(SourceRecord a, SourceRecord b) {
        return sameTransaction(a, b);
    }

    /**
     * For events without transaction metadata: whether the database transaction of row event
     * {@code lastRow}, the last one received, has no further row events of the followed tables
     * to come, so that it may be applied now. True by default.
     */
    default boolean transactionComplete(SourceRecord lastRow) {
        return true;
    }

    /**
     * For events without transaction metadata: headers known once the transaction of
     * {@code lastRow}, its last row event, is complete (MariaDB: its GTID). None by default.
     */
    default void transactionEndHeaders(SourceRecord lastRow, Map<String, String> headers) {}

    /** Release what the dialect holds (a connection); called when the source stops. */
    default void close() {}

    /**
     * The offset the engine stores for a processed event: where the connector starts reading
     * again after a restart. The event's own offset unless the connector's offset needs
     * correcting for this database.
     */
    default Map<String, ?> restartOffset(SourceRecord record) {
        return record.sourceOffset();
    }

    /** Headers naming a streamed transaction in the database's terms (transaction id, GTID), from a row event's source block. */
    void transactionHeaders(Struct source, Map<String, String> headers);
}
