package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * One patch in the change log. The payload is the patch in RDF Patch text format
 * ({@code application/rdf-patch}), headers included; it is read from disk on demand so that
 * a large patch never has to be held in memory.
 */
public final class LogRecord {
    private final RecordMeta meta;
    private final Segment segment;
    private final long payloadOffset;
    private final long payloadLength;

    LogRecord(RecordMeta meta, Segment segment, long payloadOffset, long payloadLength) {
        this.meta = meta;
        this.segment = segment;
        this.payloadOffset = payloadOffset;
        this.payloadLength = payloadLength;
    }

    public RecordMeta meta() {
        return meta;
    }

    public long version() {
        return meta.version();
    }

    public long payloadLength() {
        return payloadLength;
    }

    /** A stream over the patch text; the caller closes it. */
    public InputStream openPayload() {
        return segment.openRange(payloadOffset, payloadLength);
    }

    /** The whole patch text; only for patches known to be small. */
    public byte[] payloadBytes() {
        if ( payloadLength > Integer.MAX_VALUE - 16 )
            throw new ChangeLogException("Patch version " + meta.version() + " is " + payloadLength
                                         + " bytes, too large to read into memory; stream it with openPayload()");
        try (InputStream in = openPayload()) {
            return in.readAllBytes();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public String toString() {
        return "LogRecord[version=" + meta.version() + ", id=" + meta.id() + ", bytes=" + payloadLength + "]";
    }
}
