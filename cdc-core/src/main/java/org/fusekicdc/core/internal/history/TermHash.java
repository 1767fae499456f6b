package org.fusekicdc.core.internal.history;

import org.apache.jena.graph.Node;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.Quad;

/**
 * The 64-bit key of an RDF term in the history index: FNV-1a over the term's N-Triples form,
 * then a MurmurHash3 finaliser to spread the bits. The default graph, however written (absent
 * in RDF Patch, {@code Quad.defaultGraphIRI} in a store), has one key.
 */
final class TermHash {
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private TermHash() {}

    static long of(Node node) {
        return of(NodeFmtLib.strNT(node));
    }

    static long graph(Node g) {
        return of(g == null || Quad.isDefaultGraph(g) ? Quad.defaultGraphIRI : g);
    }

    static long of(String s) {
        long h = FNV_OFFSET;
        for ( int i = 0 ; i < s.length() ; i++ ) {
            char c = s.charAt(i);
            h = (h ^ (c & 0xff)) * FNV_PRIME;
            h = (h ^ (c >>> 8)) * FNV_PRIME;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }
}
