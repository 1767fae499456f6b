package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.jena.rdfpatch.RDFChanges;

/**
 * What a sink puts in a message's body for one patch: RDF Patch text or binary, or a JSON
 * change event ({@link MessageFormats}). Chosen per sink with {@code cdc:format}; every sink
 * builds its messages through this interface ({@link #messages}, or {@link #write} where a
 * message is never cut), so a new format reaches every sink at once. A format that makes
 * several messages of one patch (say, one per changed resource) overrides {@link #messages};
 * each message must keep the {@link PatchMessages} headers, which sinks read back to resume.
 */
public interface MessageFormat {
    /** The {@code cdc:format} value naming this format. */
    String name();

    /** The body's media type. */
    String contentType();

    /**
     * Write the body of one patch.
     *
     * @param filter wraps the stream of changes the body is written from (a graph or predicate
     *               filter); {@link UnaryOperator#identity()} for the whole patch
     */
    void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException;

    /** Write the body of the whole patch. */
    default void write(PatchRecord patch, OutputStream out) throws IOException {
        write(patch, UnaryOperator.identity(), out);
    }

    /**
     * The messages of one patch, in order, each with the patch headers, {@code extraHeaders}
     * (an envelope's, e.g. {@link CloudEvents#binaryHeaders}) and the part headers: by default
     * the body cut into parts of at most {@code maxBytes} ({@link PatchMessages#parts}).
     *
     * @throws IOException when the patch cannot be read from the change log
     */
    default <E extends Exception> void messages(PatchRecord patch, Map<String, String> extraHeaders, int maxBytes, Path tmpDir,
                                                PatchMessages.PartConsumer<E> consumer) throws IOException, E {
        PatchMessages.parts(patch, this, extraHeaders, maxBytes, tmpDir, consumer);
    }

    /**
     * Headers this format adds to every message of a record, beyond the {@link PatchMessages}
     * ones (a step's names its query and window): a sink that sizes its messages counts them.
     *
     * @throws IOException when the record cannot be read from the log
     */
    default Map<String, String> formatHeaders(PatchRecord patch) throws IOException {
        return Map.of();
    }

    /** Whether the body is the change log's record as it is (its length known without writing it). */
    default boolean isLogText() {
        return false;
    }
}
