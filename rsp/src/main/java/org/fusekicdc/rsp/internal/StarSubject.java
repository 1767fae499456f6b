package org.fusekicdc.rsp.internal;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Node;

/**
 * One subject of a window as a {@link StarPattern} sees it: the subject's window triples that
 * the star reads, as a multiset of (predicate id, object), and the pane it is at home in.
 * While all its triples lie in that pane, its solutions' aggregates are the pane's and leave
 * with it. Once they span panes it is spanning: it keeps its triples in entering order with
 * their panes, so that a leaving pane takes its own away, and what its solutions added to the
 * aggregates, so that they are taken away again without re-matching.
 */
final class StarSubject {
    /** From this many distinct triples on, their positions are indexed so that an event never scans them all. */
    private static final int INDEXED_FROM = 8;

    /** A solution's share of the aggregates: the join key and state it went to, and the solution by slot. */
    record Contribution(Object key, AggregateState state, Node[] row) {}

    private record Entry(int predicate, Node object) {}

    final Node node;
    /** Its node's hash in the {@link SubjectTable}. */
    final int hash;
    private int[] predicates = new int[2];
    private Node[] objects = new Node[2];
    private int[] counts = new int[2];
    private int size;
    private Map<Entry, Integer> positions;

    /** The pane of its first triple in the window. */
    final WindowPane home;
    /** Whether its triples lie in more than one pane (it stays so until it leaves the window). */
    boolean spanning;
    /** Spanning: its triples as they entered, oldest first, with their panes; the live ones run from logStart to logEnd. */
    private long[] logPanes;
    private int[] logPredicates;
    private Node[] logObjects;
    private int logStart;
    private int logEnd;
    /** Spanning: the contributions of its solutions at the last step. */
    List<Contribution> contributions = List.of();
    /** Whether an event changed its triples since its contributions were taken away, that is, it awaits re-matching. */
    boolean changed;

    StarSubject(Node node, int hash, WindowPane home) {
        this.node = node;
        this.hash = hash;
        this.home = home;
    }

    /** The pane its newest triple entered in; only when spanning. */
    long newestPane() {
        return logPanes[logEnd - 1];
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

    /** A triple enters, in pane {@code pane}. */
    void add(int predicate, Node object, long pane) {
        count(predicate, object, 1);
        if ( spanning )
            log(pane, predicate, object);
    }

    /** From now on its triples span panes: all it holds so far entered in its home pane. */
    void startSpanning() {
        spanning = true;
        int n = 0;
        for ( int k = 0; k < size; k++ )
            n += counts[k];
        logPanes = new long[Math.max(4, 2 * n)];
        logPredicates = new int[logPanes.length];
        logObjects = new Node[logPanes.length];
        for ( int k = 0; k < size; k++ )
            for ( int c = 0; c < counts[k]; c++ )
                log(home.id, predicates[k], objects[k]);
    }

    private void log(long pane, int predicate, Node object) {
        if ( logEnd == logPanes.length ) {
            int live = logEnd - logStart;
            int capacity = live * 2 < logPanes.length ? logPanes.length : logPanes.length * 2;
            long[] panes = new long[capacity];
            int[] preds = new int[capacity];
            Node[] objs = new Node[capacity];
            System.arraycopy(logPanes, logStart, panes, 0, live);
            System.arraycopy(logPredicates, logStart, preds, 0, live);
            System.arraycopy(logObjects, logStart, objs, 0, live);
            logPanes = panes;
            logPredicates = preds;
            logObjects = objs;
            logStart = 0;
            logEnd = live;
        }
        logPanes[logEnd] = pane;
        logPredicates[logEnd] = predicate;
        logObjects[logEnd] = object;
        logEnd++;
    }

    /** Take away the triples that entered in a pane before pane {@code pane}; only when spanning. */
    void dropBefore(long pane) {
        while ( logStart < logEnd && logPanes[logStart] < pane ) {
            count(logPredicates[logStart], logObjects[logStart], -1);
            logObjects[logStart] = null;
            logStart++;
        }
    }

    /** Count a triple in ({@code sign} 1) or out (-1); a triple whose count reaches zero is gone. */
    private void count(int predicate, Node object, int sign) {
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
