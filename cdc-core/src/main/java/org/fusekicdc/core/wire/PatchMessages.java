package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.fusekicdc.core.internal.wire.SpillingOutput;


/**
 * How patches become broker messages, the same for every broker: headers naming the patch,
 * and, for a patch larger than a message may be, ordered parts that all carry the patch's
 * headers plus their index and count. {@link PatchReassembler} puts parts back together.
 */
public final class PatchMessages {
    public static final String CONTENT_TYPE = "Content-Type";
    public static final String ID = "cdc-id";
    public static final String PREV = "cdc-prev";
    public static final String VERSION = "cdc-version";
    public static final String DATASET = "cdc-dataset";
    public static final String TIMESTAMP = "cdc-timestamp";
    /** 0-based index of this part. The header names keep the word "segment": consumers of existing topics read them. */
    public static final String PART = "cdc-segment";
    /** Number of parts of the patch (1 for a patch sent whole). */
    public static final String PARTS = "cdc-segments";

    private PatchMessages() {}

    /** Receives the messages of one patch, in order. */
    @FunctionalInterface
    public interface PartConsumer<E extends Exception> {
        void accept(Map<String, String> headers, byte[] value) throws E;
    }

    /** The headers of a patch (without the part headers). Ids are bare UUIDs; the timestamp is ISO-8601 UTC. */
    public static Map<String, String> headers(PatchRecord patch, String contentType) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(CONTENT_TYPE, contentType);
        h.put(ID, patch.meta().id().toString());
        if ( patch.meta().prevId() != null )
            h.put(PREV, patch.meta().prevId().toString());
        h.put(VERSION, Long.toString(patch.version()));
        h.put(DATASET, patch.dataset());
        h.put(TIMESTAMP, Instant.ofEpochMilli(patch.meta().timestamp()).toString());
        return h;
    }

    /**
     * Cut a patch, in RDF Patch text or binary ({@code contentType}), into messages of at most
     * {@code maxBytes} each and hand them to {@code consumer} in order. Memory used: one message.
     *
     * @throws IOException when the patch cannot be read from the change log
     */
    public static <E extends Exception> void parts(PatchRecord patch, String contentType, int maxBytes, Path tmpDir, PartConsumer<E> consumer)
            throws IOException, E {
        parts(patch, MessageFormats.byContentType(contentType), Map.of(), maxBytes, tmpDir, consumer);
    }

    /**
     * Cut a patch, written in {@code format}, into messages of at most {@code maxBytes} each and
     * hand them to {@code consumer} in order, each with the patch headers, {@code extraHeaders}
     * (an envelope's, e.g. {@link CloudEvents#binaryHeaders}) and the part headers. Memory used:
     * one message.
     *
     * @throws IOException when the patch cannot be read from the change log
     */
    public static <E extends Exception> void parts(PatchRecord patch, MessageFormat format, Map<String, String> extraHeaders, int maxBytes,
                                                   Path tmpDir, PartConsumer<E> consumer)
            throws IOException, E {
        if ( maxBytes < 1024 )
            throw new IllegalArgumentException("maxBytes must be at least 1024, got " + maxBytes);
        String contentType = format.contentType();
        // Another format's length is only known once written: in memory while it fits one message.
        try (SpillingOutput written = format.isLogText() ? null : new SpillingOutput(maxBytes, tmpDir, "patch-" + patch.version() + "-")) {
            long length;
            byte[] whole = null;
            InputStream in = null;
            if ( written == null ) {
                length = patch.record().payloadLength();
                in = patch.openText();
            } else {
                format.write(patch, written);
                length = written.length();
                whole = written.inMemory();
                if ( whole == null )
                    in = written.open();
            }
            long count = Math.max(1, (length + maxBytes - 1) / maxBytes);
            if ( count > Integer.MAX_VALUE )
                throw new IllegalArgumentException("patch version " + patch.version() + " would need " + count + " parts of " + maxBytes + " bytes");
            Map<String, String> base = headers(patch, contentType);
            base.putAll(extraHeaders);
            try (InputStream body = in) {
                for ( int i = 0 ; i < count ; i++ ) {
                    byte[] value = whole != null ? whole : body.readNBytes((int)Math.min(maxBytes, length - (long)i * maxBytes));
                    Map<String, String> h = new LinkedHashMap<>(base);
                    h.put(PART, Integer.toString(i));
                    h.put(PARTS, Long.toString(count));
                    consumer.accept(h, value);
                }
            }
        }
    }
}
