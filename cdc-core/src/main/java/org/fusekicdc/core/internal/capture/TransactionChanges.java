package org.fusekicdc.core.internal.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFChanges;
import org.apache.jena.sparql.core.Quad;

/**
 * The net effect of one write transaction: which quads and prefixes differ between the state
 * before the transaction and now. The capturing dataset reports only real changes (an add of
 * an absent quad, a delete of a present one); an add followed by a delete of the same quad
 * cancels out. Up to a threshold the net effect is a map in memory; past it, changes go to a
 * {@link QuadSpill} on disk (written by a {@link BackgroundSpill} thread), so a transaction of any size uses bounded memory.
 */
final class TransactionChanges implements AutoCloseable {
    private final int spillThreshold;
    private final Path spillDir;
    private Map<Quad, Boolean> quads = new LinkedHashMap<>();  // true: added, false: deleted
    private final Map<String, PrefixChange> prefixes = new LinkedHashMap<>();
    private BackgroundSpill spill;
    private long netQuads = -1;

    /** A prefix's mapping before the transaction and now; null means absent. */
    private record PrefixChange(String before, String after) {}

    TransactionChanges(int spillThreshold, Path spillDir) {
        this.spillThreshold = spillThreshold;
        this.spillDir = spillDir;
    }

    void added(Quad quad) {
        record(quad, true);
    }

    void deleted(Quad quad) {
        record(quad, false);
    }

    private void record(Quad quad, boolean add) {
        Quad q = canonical(quad);
        if ( spill != null ) {
            spill.append(add, q);
            return;
        }
        Boolean earlier = quads.remove(q);
        // A real change of a quad already changed in this transaction can only undo that change.
        if ( earlier == null ) {
            quads.put(q, add);
            if ( quads.size() > spillThreshold )
                startSpill();
        }
    }

    private void startSpill() {
        spill = new BackgroundSpill(spillDir, spillThreshold);
        quads.forEach((q, add) -> spill.append(add, q));
        quads = null;
    }

    /** One spelling for the default graph, so an add and a delete of it cancel whichever name they used. */
    private static Quad canonical(Quad q) {
        Node g = q.getGraph();
        if ( g == null || (Quad.isDefaultGraph(g) && !g.equals(Quad.defaultGraphIRI)) )
            return Quad.create(Quad.defaultGraphIRI, q.getSubject(), q.getPredicate(), q.getObject());
        return q;
    }

    void prefixChanged(String prefix, String before, String after) {
        PrefixChange earlier = prefixes.get(prefix);
        String original = earlier == null ? before : earlier.before();
        prefixes.put(prefix, new PrefixChange(original, after));
    }

    boolean spilled() {
        return spill != null;
    }

    /** Settle the net effect (merging spill files if any); returns the number of quad changes. */
    long settle() {
        if ( netQuads < 0 )
            netQuads = spill != null ? spill.merge() : quads.size();
        return netQuads;
    }

    /** True when the transaction changed nothing; call after {@link #settle}. */
    boolean isEmpty() {
        return settle() == 0 && prefixes.values().stream().allMatch(pc -> Objects.equals(pc.before(), pc.after()));
    }

    /**
     * Write the changes: prefixes through {@code writer}, quads through {@code writer} or, when
     * spilled, as text straight into {@code raw}, the stream under {@code writer}.
     */
    void writeTo(RDFChanges writer, OutputStream raw) throws IOException {
        prefixes.forEach((prefix, pc) -> {
            if ( Objects.equals(pc.before(), pc.after()) )
                return;
            if ( pc.after() == null )
                writer.deletePrefix(null, prefix);
            else
                writer.addPrefix(null, prefix, pc.after());
        });
        if ( spill == null ) {
            quads.forEach((q, add) -> {
                if ( add )
                    writer.add(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
                else
                    writer.delete(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
            });
            return;
        }
        writer.finish();  // flush what the writer holds before writing under it
        spill.copyTo(raw);
    }

    @Override
    public void close() {
        if ( spill != null )
            spill.close();
    }
}
