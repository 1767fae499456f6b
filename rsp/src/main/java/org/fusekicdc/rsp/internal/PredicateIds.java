package org.fusekicdc.rsp.internal;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import org.apache.jena.graph.Node;

/**
 * Numbers for a fixed set of predicates, looked up by identity first: a stream's quads share a
 * few predicate nodes, so most lookups neither hash nor compare IRIs. Not thread-safe (one per
 * query or shared window, used on the engine's thread).
 */
final class PredicateIds {
    private static final int RECENT = 4;

    private final Map<Node, Integer> ids = new HashMap<>();
    private final Node[] recent = new Node[RECENT];
    private final int[] recentIds = new int[RECENT];
    private int next;

    /** Ids 0, 1, ... in the order the predicates are first given. */
    PredicateIds(Collection<Node> predicates) {
        for ( Node p : predicates )
            ids.putIfAbsent(p, ids.size());
    }

    /** The predicate's id, or -1 when it is not one of them. */
    int id(Node predicate) {
        for ( int k = 0; k < RECENT; k++ )
            if ( recent[k] == predicate )
                return recentIds[k];
        Integer id = ids.get(predicate);
        int found = id == null ? -1 : id;
        recent[next] = predicate;
        recentIds[next] = found;
        next = (next + 1) % RECENT;
        return found;
    }

    boolean contains(Node predicate) {
        return id(predicate) >= 0;
    }
}
