package org.fusekicdc.core.internal.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Map;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.internal.wire.PatchTextWriter;
import org.fusekicdc.core.wire.PatchHeaders;

/**
 * The text of a captured transaction's patch as the change log keeps it: the identity headers
 * (id, previous id, version, epoch after the first history, time, dataset), the extra headers,
 * then the transaction's changes between TX and TC.
 */
final class CapturedPatch {
    private CapturedPatch() {}

    static void write(RecordMeta meta, long epoch, String dataset, TransactionChanges tc, Map<String, String> attributes, OutputStream out)
        throws IOException {
        RDFChangesWriterText w = PatchTextWriter.create(out);
        w.header(PatchHeaders.ID, Id.fromUUID(meta.id()).asNode());
        if ( meta.prevId() != null )
            w.header(PatchHeaders.PREV, Id.fromUUID(meta.prevId()).asNode());
        w.header(PatchHeaders.VERSION, NodeFactory.createLiteralDT(Long.toString(meta.version()), XSDDatatype.XSDinteger));
        if ( epoch > 0 )
            w.header(PatchHeaders.EPOCH, NodeFactory.createLiteralDT(Long.toString(epoch), XSDDatatype.XSDinteger));
        w.header(PatchHeaders.TIMESTAMP, NodeFactory.createLiteralDT(Instant.ofEpochMilli(meta.timestamp()).toString(),
                                                                    XSDDatatype.XSDdateTime));
        w.header(PatchHeaders.DATASET, NodeFactory.createLiteralString(dataset));
        attributes.forEach((k, v) -> w.header(k, NodeFactory.createLiteralString(v)));
        w.txnBegin();
        tc.writeTo(w, out);
        w.txnCommit();
        w.finish();
    }
}
