package org.fusekicdc.core.internal.history;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * The net change between two versions of a dataset, from the patches between them: which quads
 * were absent at the first and present at the second ({@link #added}), and the reverse
 * ({@link #removed}). Each patch holds its transaction's real changes (every added quad was
 * absent, every deleted one present), so the first line that names a quad in the range says
 * whether it was present before the range, and the last whether it is present after it; quads
 * that come back to where they were are no change.
 * <p>
 * Memory holds one entry per distinct quad the range touches, up to a bound: past it,
 * {@link TooManyChanges}.
 */
public final class NetChange {
    private static final byte BEFORE = 1;
    private static final byte AFTER = 2;

    private final long after;
    private final long until;
    // Per quad touched: bit BEFORE = present at 'after', bit AFTER = present at 'until'.
    private final Map<Quad, Byte> quads = new HashMap<>();
    // Per (graph, prefix): the last prefix change in the range, the IRI or null for a delete.
    private final Map<PrefixKey, String> prefixes = new LinkedHashMap<>();

    /** A prefix of a graph (null: the dataset's prefixes). */
    public record PrefixKey(Node graph, String prefix) {}

    /** The range touches more distinct quads than the bound allows. */
    public static final class TooManyChanges extends RuntimeException {
        private final long limit;

        TooManyChanges(String dataset, long after, long until, long limit) {
            super("Dataset '" + dataset + "': versions " + (after + 1) + " to " + until + " change more than " + limit
                  + " distinct quads, more than one request may hold in memory. Ask for a version closer to the head,"
                  + " or read the patches themselves from the change feed.");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }

    private NetChange(long after, long until) {
        this.after = after;
        this.until = until;
    }

    /**
     * The net change from version {@code after} to version {@code until} ({@code after <= until}),
     * read from the log's patches {@code after + 1 .. until}.
     *
     * @throws org.fusekicdc.core.internal.log.VersionGoneException if retention has removed one of them
     * @throws TooManyChanges past {@code maxQuads} distinct quads
     */
    public static NetChange between(ChangeLog log, long after, long until, long maxQuads) {
        if ( after > until )
            throw new IllegalArgumentException("after (" + after + ") > until (" + until + ")");
        NetChange net = new NetChange(after, until);
        Collector c = net.new Collector(log.dataset(), maxQuads);
        for ( long v = after + 1 ; v <= until ; v++ )
            PatchReplay.replay(log.read(v), c);
        return net;
    }

    public long after() {
        return after;
    }

    public long until() {
        return until;
    }

    /** Whether the quad (graph normalised: {@link Quad#defaultGraphIRI} for the default graph) is present at {@link #until} but not at {@link #after}. */
    public boolean isAdded(Quad q) {
        Byte s = quads.get(q);
        return s != null && s == AFTER;
    }

    /** Whether the quad is present at {@link #after} but not at {@link #until}. */
    public boolean isRemoved(Quad q) {
        Byte s = quads.get(q);
        return s != null && s == BEFORE;
    }

    /** Each quad present at {@link #after} and not at {@link #until}. */
    public void forEachRemoved(java.util.function.Consumer<Quad> action) {
        quads.forEach((q, s) -> {
            if ( s == BEFORE )
                action.accept(q);
        });
    }

    /** Each quad present at {@link #until} and not at {@link #after}. */
    public void forEachAdded(java.util.function.Consumer<Quad> action) {
        quads.forEach((q, s) -> {
            if ( s == AFTER )
                action.accept(q);
        });
    }

    /** The last change of each prefix the range touched: its IRI, or null when it was deleted. */
    public void forEachPrefix(BiConsumer<PrefixKey, String> action) {
        prefixes.forEach(action);
    }

    /** Whether nothing changed between the two versions. */
    public boolean isEmpty() {
        return prefixes.isEmpty() && quads.values().stream().allMatch(s -> s == (BEFORE | AFTER) || s == 0);
    }

    static Quad normalise(Node g, Node s, Node p, Node o) {
        return Quad.create(g == null || Quad.isDefaultGraph(g) ? Quad.defaultGraphIRI : g, s, p, o);
    }

    private final class Collector extends RDFChangesBase {
        private final String dataset;
        private final long maxQuads;

        Collector(String dataset, long maxQuads) {
            this.dataset = dataset;
            this.maxQuads = maxQuads;
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            change(normalise(g, s, p, o), true);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            change(normalise(g, s, p, o), false);
        }

        private void change(Quad q, boolean present) {
            Byte state = quads.get(q);
            if ( state == null ) {
                if ( quads.size() >= maxQuads )
                    throw new TooManyChanges(dataset, after, until, maxQuads);
                // First sight: an add means it was absent before the range, a delete that it was present.
                state = present ? 0 : BEFORE;
            }
            quads.put(q, (byte)(present ? state | AFTER : state & ~AFTER));
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            PrefixKey k = new PrefixKey(gn, prefix);
            prefixes.remove(k);
            prefixes.put(k, uriStr);
        }

        @Override
        public void deletePrefix(Node gn, String prefix) {
            PrefixKey k = new PrefixKey(gn, prefix);
            prefixes.remove(k);
            prefixes.put(k, null);
        }
    }
}
