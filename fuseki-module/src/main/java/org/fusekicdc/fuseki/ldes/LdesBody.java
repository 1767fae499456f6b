package org.fusekicdc.fuseki.ldes;

import java.io.IOException;
import java.util.Iterator;
import java.util.List;

import org.apache.jena.graph.Triple;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.fuseki.stream.ResponseStreams;

/**
 * One page of the stream as a response body: the page's description, then one member per
 * logged record, converted as the client takes the bytes, so that a page holds one member (one
 * patch's changes) in memory whatever its length, as the change feed's binary pages do.
 */
final class LdesBody implements ResponseStreams.Body {
    private static final int PIECE_BYTES = 64 * 1024;

    private final LdesFormat.Writer writer;
    private final LdesMembers members;
    private final Iterator<LogRecord> records;
    private final int count;
    private byte[] pending;
    private int offset;
    private List<Triple> description;
    private boolean started;
    private boolean ended;
    private boolean closed;
    private int membersSent;
    private long bytesSent;

    LdesBody(LdesFormat.Writer writer, List<Triple> description, LdesMembers members, List<LogRecord> records) {
        this.writer = writer;
        this.description = description;
        this.members = members;
        this.records = records.iterator();
        this.count = records.size();
    }

    @Override
    public synchronized byte[] next() throws IOException {
        while ( !closed ) {
            if ( pending != null && offset < pending.length ) {
                int n = Math.min(PIECE_BYTES, pending.length - offset);
                byte[] piece = new byte[n];
                System.arraycopy(pending, offset, piece, 0, n);
                offset += n;
                bytesSent += n;
                return piece;
            }
            pending = null;
            offset = 0;
            if ( !started ) {
                started = true;
                pending = concat(writer.start(), writer.triples(description));
                description = null;
            } else if ( records.hasNext() ) {
                pending = writer.triples(members.member(records.next()));
                membersSent++;
            } else if ( !ended ) {
                ended = true;
                pending = writer.end();
            } else
                return null;
        }
        return null;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Override
    public synchronized boolean ended() {
        return closed || (ended && (pending == null || offset >= pending.length));
    }

    @Override
    public synchronized String progress() {
        return membersSent + " of " + count + " members (" + bytesSent + " bytes)";
    }

    @Override
    public synchronized void close() {
        closed = true;
        pending = null;
    }
}
