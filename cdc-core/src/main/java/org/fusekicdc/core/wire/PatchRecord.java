package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.internal.wire.PatchTextToThrift;

/**
 * A patch handed to a sink: the log record and the dataset it belongs to, with the patch
 * in either RDF Patch format. A sink hands the record it was given to its {@link MessageFormat}
 * as it is: a format that reads the dataset (entity documents) reads it through {@link #asOf}.
 *
 * @param dataset the dataset's name
 * @param record  the change log record
 * @param asOf    where the dataset is read as of the patch's version; null when the patch is not
 *                delivered from a captured dataset (a continuous query's step log, a test)
 */
public record PatchRecord(String dataset, LogRecord record, AsOfSource asOf) {
    public static final String TEXT = "application/rdf-patch";
    public static final String BINARY = "application/rdf-patch+thrift";

    /** A patch that nothing reads the dataset for. */
    public PatchRecord(String dataset, LogRecord record) {
        this(dataset, record, null);
    }

    public RecordMeta meta() {
        return record.meta();
    }

    public long version() {
        return record.version();
    }

    /** The patch as RDF Patch text. */
    public InputStream openText() {
        return record.openPayload();
    }

    /** Write the patch in the given format ({@link #TEXT} or {@link #BINARY}). */
    public void writeTo(String contentType, OutputStream out) throws IOException {
        try (InputStream in = record.openPayload()) {
            if ( BINARY.equals(contentType) )
                PatchTextToThrift.transcode(in, out);
            else
                in.transferTo(out);
        }
    }
}
