package org.fusekicdc.core.internal.capture;

import java.io.StringWriter;

import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.TokenWriterText;
import org.apache.jena.sparql.core.Quad;

/**
 * Formats one change as its line of RDF Patch text, with Jena's own writer, so that spilled
 * changes can be sorted and merged as text and copied into the patch unchanged.
 * A line is {@code "A "} or {@code "D "} followed by the quad's key.
 */
final class QuadLines {
    private final StringWriter buffer = new StringWriter(256);
    private final RDFChangesWriterText writer = new RDFChangesWriterText(TokenWriterText.create(buffer));

    String line(boolean add, Quad q) {
        buffer.getBuffer().setLength(0);
        if ( add )
            writer.add(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
        else
            writer.delete(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
        writer.finish();
        String s = buffer.toString();
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    /** The part of a line that identifies the quad, the same for its add and its delete. */
    static String key(String line) {
        return line.substring(2);
    }
}
