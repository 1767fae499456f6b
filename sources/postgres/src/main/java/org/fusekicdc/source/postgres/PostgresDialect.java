package org.fusekicdc.source.postgres;

import java.util.Map;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.source.relational.Dialect;
import org.fusekicdc.source.relational.Position;

/** PostgreSQL positions: the commit LSN, in PostgreSQL's text form ({@code 0/16B3748}) in the {@code sourceLsn} header. */
final class PostgresDialect implements Dialect {
    @Override
    public String connector() {
        return "postgresql";
    }

    @Override
    public String positionHeader() {
        return PatchHeaders.SOURCE_LSN;
    }

    @Override
    public Position parse(String text) {
        int slash = text.indexOf('/');
        if ( slash < 0 )
            throw new IllegalArgumentException("not an LSN: " + text);
        return lsn((Long.parseLong(text.substring(0, slash), 16) << 32) | Long.parseLong(text.substring(slash + 1), 16));
    }

    static Position lsn(long lsn) {
        return new Position(lsn, 0, Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase());
    }

    /** The END event's offset holds the transaction's commit LSN. */
    @Override
    public Position transactionPosition(SourceRecord end, SourceRecord lastRow) {
        SourceRecord r = end != null ? end : lastRow;
        Object lsn = r.sourceOffset().get("lsn");
        return lsn == null ? null : lsn(((Number)lsn).longValue());
    }

    @Override
    public Position snapshotPosition(SourceRecord row) {
        Object lsn = ((Struct)row.value()).getStruct("source").get("lsn");
        return lsn == null ? null : lsn(((Number)lsn).longValue());
    }

    @Override
    public void transactionHeaders(Struct source, Map<String, String> headers) {
        Object xid = source.get("txId");
        if ( xid != null )
            headers.put(PatchHeaders.SOURCE_TXID, xid.toString());
    }
}
