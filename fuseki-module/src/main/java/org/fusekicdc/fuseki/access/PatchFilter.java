package org.fusekicdc.fuseki.access;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.rdfpatch.changes.RDFChangesWrapper;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.wire.PatchTextWriter;

/**
 * A logged patch as one reader may see it: headers, transaction lines and prefix lines as
 * logged, {@code A}/{@code D} lines only for quads of graphs the reader may read. A patch that
 * keeps no quad is still served, with its headers and an empty {@code TX . TC .}, so the
 * reader's versions have no gaps and resuming works as for everyone else.
 */
public final class PatchFilter {
    private PatchFilter() {}

    /** The record's patch text for this reader: the logged bytes when the reader sees everything. */
    public static InputStream payload(LogRecord record, ReaderView view) throws IOException {
        if ( view.isAll() )
            return record.openPayload();
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        try (InputStream in = record.openPayload()) {
            RDFChangesWriterText writer = PatchTextWriter.create(buffer);
            new RDFPatchReaderText(in).apply(filter(writer, view));
            writer.finish();
        }
        return new ByteArrayInputStream(buffer.toByteArray());
    }

    /** Passes on to {@code out} only what {@code view} may see. */
    public static RDFChanges filter(RDFChanges out, ReaderView view) {
        if ( view.isAll() )
            return out;
        return new RDFChangesWrapper(out) {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                if ( view.sees(g, s, p, o) )
                    super.add(g, s, p, o);
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                if ( view.sees(g, s, p, o) )
                    super.delete(g, s, p, o);
            }

            @Override
            public void addPrefix(Node gn, String prefix, String uriStr) {
                if ( view.seesPrefixesOf(gn) )
                    super.addPrefix(gn, prefix, uriStr);
            }

            @Override
            public void deletePrefix(Node gn, String prefix) {
                if ( view.seesPrefixesOf(gn) )
                    super.deletePrefix(gn, prefix);
            }
        };
    }
}
