package org.fusekicdc.source.mariadb;

import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.Dialect;
import org.fusekicdc.source.relational.Position;

/**
 * MariaDB/MySQL positions: binlog coordinates {@code file:offset} in the {@code sourceBinlog}
 * header, ordered by the file's number, then the offset. A streamed transaction's position is
 * where it starts in the binlog (the connector's restart offset, the same for all its events); a
 * snapshot's is one before the binlog position it was taken at, so that the first transaction
 * after the snapshot, which starts exactly there, is after it. The GTID goes in {@code sourceGtid}.
 */
final class BinlogDialect implements Dialect {
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
        int colon = text.lastIndexOf(':');
        if ( colon < 0 )
            throw new IllegalArgumentException("not a binlog position (file:offset): " + text);
        return position(text.substring(0, colon), Long.parseLong(text.substring(colon + 1)));
    }

    static Position position(String file, long offset) {
        int dot = file.lastIndexOf('.');
        if ( dot < 0 )
            throw new IllegalArgumentException("binlog file name without a number: " + file);
        return new Position(Long.parseLong(file.substring(dot + 1)), offset, file + ":" + offset);
    }

    @Override
    public Position transactionPosition(SourceRecord end, SourceRecord lastRow) {
        return offset(lastRow != null ? lastRow : end, 0);
    }

    @Override
    public Position snapshotPosition(SourceRecord row) {
        return offset(row, -1);
    }

    private static Position offset(SourceRecord r, long delta) {
        Object file = r.sourceOffset().get("file");
        Object pos = r.sourceOffset().get("pos");
        if ( file == null || pos == null )
            return null;
        return position(file.toString(), ((Number)pos).longValue() + delta);
    }

    @Override
    public void transactionHeaders(Struct source, Map<String, String> headers) {
        Object gtid = source.schema().field("gtid") == null ? null : source.get("gtid");
        if ( gtid != null )
            headers.put(PatchHeaders.SOURCE_GTID, gtid.toString());
    }
}
