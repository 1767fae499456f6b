package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Node;

/**
 * One slice of a sliding window's time, as long as the greatest common divisor of its RANGE
 * and STEP, so that every window is a run of whole panes and events leave a pane at a time.
 * It holds the aggregates, by join key, of the subjects whose window triples all lie in it:
 * when the pane leaves, they are subtracted from the window's once per key, without a look at
 * its events. Its subjects are in a table of its own, which leaves with it: nothing is removed
 * subject by subject.
 */
final class WindowPane {
    /** The pane's number: its start time divided by the pane length. */
    final long id;
    /** Aggregates by join key of the solutions of the subjects at home in it that have triples in no other pane. */
    final Map<Object, AggregateState> byKey = new HashMap<>();
    /** The subjects whose first triple in the window is in it. */
    private final PaneSubjects subjects;
    /** Which hashes its table may hold, made once no more events are expected in it; null before. */
    private SubjectFilter filter;
    /** The subjects with triples in it and in another pane, whose triples from it are taken away one by one when it leaves. */
    final List<StarSubject> spanning = new ArrayList<>();

    /** @param expected how many subjects it is expected to hold (the pane before it held as many): its table is made that large */
    WindowPane(long id, int expected) {
        this.id = id;
        this.subjects = new PaneSubjects(expected);
    }

    /** How many subjects are at home in it. */
    int size() {
        return subjects.size();
    }

    /** The subject of {@code node} at home in this pane, or null. */
    StarSubject get(Node node, int hash) {
        if ( filter != null && !filter.mayContain(hash) )
            return null;
        return subjects.get(node, hash);
    }

    /** A subject whose first triple in the window is in this pane. */
    void add(StarSubject s) {
        subjects.add(s);
        if ( filter != null )
            filter.add(s.hash);
    }

    /** Its events have entered (a later one would still be found): look its subjects up through a filter from now on. */
    void sealed() {
        if ( filter != null )
            return;
        filter = new SubjectFilter(subjects.size());
        subjects.forEachHash(filter::add);
    }

    /** The pane has left the window: let go of what it held (spanning subjects still name it as their home). */
    void clear() {
        subjects.clear();
        spanning.clear();
        byKey.clear();
        filter = null;
    }
}
