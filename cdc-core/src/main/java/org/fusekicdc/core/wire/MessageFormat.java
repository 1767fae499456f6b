package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.util.function.UnaryOperator;

import org.apache.jena.rdfpatch.RDFChanges;

/**
 * What a sink puts in a message's body for one patch: RDF Patch text or binary, or a JSON
 * change event ({@link MessageFormats}). Chosen per sink with {@code cdc:format}; every sink
 * builds its bodies through this interface and {@link PatchMessages#parts}, so a new format
 * reaches every sink at once.
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

    /** Whether the body is the change log's record as it is (its length known without writing it). */
    default boolean isLogText() {
        return false;
    }
}
