package org.fusekicdc.rsp.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Node;

/**
 * One subject of a window as a {@link StarPattern} sees it: the subject's window triples that
 * the star reads, as a multiset of (predicate id, object), and what its solutions added to the
 * aggregates at the last step, so that they are taken away again without re-matching.
 */
final class StarSubject {
    /** From this many distinct triples on, their positions are indexed so that an event never scans them all. */
    private static final int INDEXED_FROM = 8;

    /** A solution's share of the aggregates: the join key and state it went to, and the solution by slot. */
    record Contribution(Object key, AggregateState state, Node[] row) {}

    private record Entry(int predicate, Node object) {}

    final Node node;
    private int[] predicates = new int[2];
    private Node[] objects = new Node[2];
    private int[] counts = new int[2];
    private int size;
    private Map<Entry, Integer> positions;

    /** The contributions of its solutions at the last step. */
    List<Contribution> contributions = List.of();
    /** Whether an event changed its triples since its contributions were taken away, that is, it awaits re-matching. */
    boolean changed;

    StarSubject(Node node) {
        this.node = node;
    }

    /** How many distinct triples it holds. */
    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    int predicate(int k) {
        return predicates[k];
    }

    Node object(int k) {
        return objects[k];
    }

    /** Count a triple in ({@code sign} 1) or out (-1); a triple whose count reaches zero is gone. */
    void count(int predicate, Node object, int sign) {
        int k = find(predicate, object);
        if ( k < 0 ) {
            append(predicate, object, sign);
            return;
        }
        counts[k] += sign;
        if ( counts[k] == 0 )
            remove(k);
    }

    private int find(int predicate, Node object) {
        if ( positions != null ) {
            Integer k = positions.get(new Entry(predicate, object));
            return k == null ? -1 : k;
        }
        for ( int k = 0; k < size; k++ )
            if ( predicates[k] == predicate && objects[k].equals(object) )
                return k;
        return -1;
    }

    private void append(int predicate, Node object, int count) {
        if ( size == predicates.length ) {
            int capacity = size * 2;
            predicates = Arrays.copyOf(predicates, capacity);
            objects = Arrays.copyOf(objects, capacity);
            counts = Arrays.copyOf(counts, capacity);
        }
        predicates[size] = predicate;
        objects[size] = object;
        counts[size] = count;
        size++;
        if ( positions != null ) {
            positions.put(new Entry(predicate, object), size - 1);
        } else if ( size == INDEXED_FROM ) {
            positions = new HashMap<>();
            for ( int k = 0; k < size; k++ )
                positions.put(new Entry(predicates[k], objects[k]), k);
        }
    }

    /** Remove the triple at {@code k}, moving the last one into its place. */
    private void remove(int k) {
        int last = size - 1;
        if ( positions != null )
            positions.remove(new Entry(predicates[k], objects[k]));
        if ( k != last ) {
            predicates[k] = predicates[last];
            objects[k] = objects[last];
            counts[k] = counts[last];
            if ( positions != null )
                positions.put(new Entry(predicates[k], objects[k]), k);
        }
        objects[last] = null;
        size = last;
    }
}
