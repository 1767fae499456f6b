package org.fusekicdc.fuseki.feed;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;

import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.wire.PatchTextToThrift;
import org.fusekicdc.fuseki.access.PatchFilter;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.stream.ResponseStreams;

/**
 * One page of the change feed as a response body, read from the log a piece at a time as the
 * client takes it: RDF Patch text is passed on in pieces of the logged record, so a page costs
 * a piece whatever its size; the binary format is encoded one patch at a time (a reader
 * restricted by graph-level access control holds its filtered patch, as on the live tail).
 */
final class PageBody implements ResponseStreams.Body {
    private static final int PIECE_BYTES = 64 * 1024;

    private final Iterator<LogRecord> records;
    private final ReaderView view;
    private final boolean binary;
    private final int count;
    private InputStream patch;
    private long patchVersion;
    private int patchesSent;
    private long bytesSent;
    private boolean closed;

    PageBody(List<LogRecord> records, ReaderView view, boolean binary) {
        this.records = records.iterator();
        this.view = view;
        this.binary = binary;
        this.count = records.size();
    }

    @Override
    public synchronized byte[] next() throws IOException {
        while ( !closed ) {
            if ( patch == null ) {
                if ( !records.hasNext() )
                    return null;
                LogRecord r = records.next();
                patch = binary ? binary(r) : PatchFilter.payload(r, view);
                patchVersion = r.version();
            }
            byte[] piece = patch.readNBytes(PIECE_BYTES);
            if ( piece.length > 0 ) {
                bytesSent += piece.length;
                return piece;
            }
            patch.close();
            patch = null;
            patchesSent++;
        }
        return null;
    }

    private InputStream binary(LogRecord r) throws IOException {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        try (InputStream in = PatchFilter.payload(r, view)) {
            PatchTextToThrift.transcode(in, encoded);
        }
        return new ByteArrayInputStream(encoded.toByteArray());
    }

    @Override
    public synchronized boolean ended() {
        return closed || (patch == null && !records.hasNext());
    }

    @Override
    public synchronized String progress() {
        return patchesSent + " of " + count + " patches (" + bytesSent + " bytes" + (patch == null ? "" : ", in version " + patchVersion) + ")";
    }

    @Override
    public synchronized void close() {
        closed = true;
        if ( patch == null )
            return;
        try {
            patch.close();
        } catch (IOException ex) {
            // Releasing a log file handle: nothing more to do.
        }
        patch = null;
    }
}
