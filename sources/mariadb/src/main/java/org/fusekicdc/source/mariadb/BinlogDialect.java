package org.fusekicdc.source.mariadb;

import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.Dialect;
import org.fusekicdc.source.relational.Position;
import org.fusekicdc.source.mariadb.internal.BinlogBoundaries;

/**
 * MariaDB/MySQL positions in the {@code sourceBinlog} header. A snapshot's is the binlog
 * position it was taken at, {@code file:offset}. A streamed transaction's is
 * {@code file:offset:event:row}: the connector's restart offset and, for its last row, how many
 * events and rows past it. Ordered by the file's number, then offset, event and row; a snapshot at
 * an offset comes before everything streamed from there.
 * <p>
 * Debezium's MySQL connector sees no transaction start on MariaDB (MariaDB's GTID event stands
 * where MySQL writes BEGIN), so it sends no transaction metadata and its restart offset moves with
 * every binlog rows event: the rows of one rows event (one statement) share it
 * ({@link #sameStatement}). Where transactions end is read from the binlog
 * ({@link BinlogBoundaries}), so that the statements of one transaction are applied together.
 */
final class BinlogDialect implements Dialect {
    private final BinlogBoundaries boundaries;

    /** @param boundaries where transactions end; null to apply each statement on its own */
    BinlogDialect(BinlogBoundaries boundaries) {
        this.boundaries = boundaries;
    }

    /** Room for the event and row counts below an offset. */
    private static final long SCALE = 1_000_000_000L;

    @Override
    public String connector() {
        return "mariadb";
    }

    @Override
    public String positionHeader() {
        return PatchHeaders.SOURCE_BINLOG;
    }

    @Override
    public Position parse(String text) {
        String[] parts = text.split(":");
        try {
            if ( parts.length == 2 )
                return snapshot(parts[0], Long.parseLong(parts[1]));
            if ( parts.length == 4 )
                return transaction(parts[0], Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]));
        } catch (NumberFormatException ex) {
            // below
        }
        throw new IllegalArgumentException("not a binlog position (file:offset or file:offset:event:row): " + text);
    }

    private static long fileNumber(String file) {
        int dot = file.lastIndexOf('.');
        if ( dot < 0 )
            throw new IllegalArgumentException("binlog file name without a number: " + file);
        return Long.parseLong(file.substring(dot + 1));
    }

    static Position snapshot(String file, long offset) {
        return new Position(fileNumber(file), offset * SCALE, file + ":" + offset);
    }

    static Position transaction(String file, long offset, long event, long row) {
        return new Position(fileNumber(file), offset * SCALE + 1 + Math.min(event, 999_999) * 1000 + Math.min(row, 999),
                            file + ":" + offset + ":" + event + ":" + row);
    }

    @Override
    public Position transactionPosition(SourceRecord end, SourceRecord lastRow) {
        SourceRecord r = lastRow != null ? lastRow : end;
        Object file = r.sourceOffset().get("file");
        Object pos = r.sourceOffset().get("pos");
        if ( file == null || pos == null )
            return null;
        return transaction(file.toString(), ((Number)pos).longValue(), number(r, "event"), number(r, "row"));
    }

    private static long number(SourceRecord r, String key) {
        Object v = r.sourceOffset().get(key);
        return v == null ? 0 : ((Number)v).longValue();
    }

    @Override
    public Position snapshotPosition(SourceRecord row) {
        Object file = row.sourceOffset().get("file");
        Object pos = row.sourceOffset().get("pos");
        return file == null || pos == null ? null : snapshot(file.toString(), ((Number)pos).longValue());
    }

    @Override
    public boolean sameStatement(SourceRecord a, SourceRecord b) {
        Map<String, ?> x = a.sourceOffset(), y = b.sourceOffset();
        return x.get("file") != null && x.get("pos") != null && x.get("file").equals(y.get("file")) && x.get("pos").equals(y.get("pos"));
    }

    /** Same statement, or no transaction end in the binlog between {@code a}'s rows event and {@code b}'s. */
    @Override
    public boolean sameTransaction(SourceRecord a, SourceRecord b) {
        if ( sameStatement(a, b) )
            return true;
        if ( boundaries == null || inTransactionOffset(a) )
            return false;
        Map<String, ?> x = a.sourceOffset(), y = b.sourceOffset();
        Long bStart = eventStart(b);
        if ( x.get("file") == null || x.get("pos") == null || !x.get("file").equals(y.get("file")) || bStart == null )
            return false;
        long aEnd = ((Number)x.get("pos")).longValue();
        return aEnd <= bStart && !boundaries.endBetween(x.get("file").toString(), aEnd, bStart);
    }

    @Override
    public boolean transactionComplete(SourceRecord lastRow) {
        Map<String, ?> x = lastRow.sourceOffset();
        if ( boundaries == null || inTransactionOffset(lastRow) || x.get("file") == null || x.get("pos") == null )
            return true;
        return boundaries.endsBeforeFollowedRows(x.get("file").toString(), ((Number)x.get("pos")).longValue());
    }

    /** MariaDB: the GTID position after the transaction (BINLOG_GTID_POS), unless the connector gave a GTID. */
    @Override
    public void transactionEndHeaders(SourceRecord lastRow, Map<String, String> headers) {
        Map<String, ?> x = lastRow.sourceOffset();
        if ( boundaries == null || headers.containsKey(PatchHeaders.SOURCE_GTID) || inTransactionOffset(lastRow) || x.get("file") == null || x.get("pos") == null )
            return;
        String gtid = boundaries.gtidPositionAfter(x.get("file").toString(), ((Number)x.get("pos")).longValue());
        if ( gtid != null )
            headers.put(PatchHeaders.SOURCE_GTID, gtid);
    }

    /** MySQL's own transactions (the connector saw BEGIN): the metadata brackets them, no binlog reading needed. */
    private static boolean inTransactionOffset(SourceRecord r) {
        return r.sourceOffset().containsKey("transaction_id");
    }

    /** The start of the record's binlog event (its source block's {@code pos}). */
    private static Long eventStart(SourceRecord r) {
        if ( !(r.value() instanceof Struct v) || v.schema().field("source") == null )
            return null;
        Struct source = v.getStruct("source");
        Object pos = source == null || source.schema().field("pos") == null ? null : source.get("pos");
        return pos instanceof Number n ? n.longValue() : null;
    }

    @Override
    public void close() {
        if ( boundaries != null )
            boundaries.close();
    }

    /**
     * Outside a transaction the connector writes as restart offset the position after the
     * current rows event, and still counts the event's rows as rows to skip; on restart it would
     * skip that many rows of the next rows event, which were never applied (MariaDB, where the
     * connector sees no transaction start). The position past the event needs no skipping: this
     * offset has the counts removed. Inside a transaction (MySQL: the offset names it) the
     * position is the transaction's start and the counts are right.
     */
    @Override
    public Map<String, ?> restartOffset(SourceRecord record) {
        Map<String, ?> offset = record.sourceOffset();
        if ( offset.containsKey("snapshot") || offset.containsKey("transaction_id") || !(offset.containsKey("row") || offset.containsKey("event")) )
            return offset;
        Map<String, Object> restart = new HashMap<>(offset);
        restart.remove("row");
        restart.remove("event");
        return restart;
    }

    @Override
    public void transactionHeaders(Struct source, Map<String, String> headers) {
        Object gtid = source.schema().field("gtid") == null ? null : source.get("gtid");
        if ( gtid != null )
            headers.put(PatchHeaders.SOURCE_GTID, gtid.toString());
    }
}
