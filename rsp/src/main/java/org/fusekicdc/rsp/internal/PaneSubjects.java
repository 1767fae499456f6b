package org.fusekicdc.rsp.internal;

import java.util.Arrays;
import java.util.function.IntConsumer;

import org.apache.jena.graph.Node;

/**
 * The subjects at home in one pane, by node: open addressing with linear probing over slots
 * that each pack a subject's hash with its index in an array of the pane's subjects in
 * entering order. A new subject's lookup and its insertion touch one slot (a cache miss in a
 * table of a hundred thousand subjects) where a table of hashes beside a table of subjects
 * touches two; the subjects array fills in order. Subjects are never removed one by one: a
 * pane's leave with it.
 */
final class PaneSubjects {
    private static final int INITIAL = 16;

    /** 0 for an empty slot, else the hash in the high half and the subject's index plus one in the low half. */
    private long[] slots;
    private StarSubject[] subjects;
    private int size;

    /** A table that takes {@code expected} subjects without growing. */
    PaneSubjects(int expected) {
        int n = INITIAL;
        while ( n < 2 * expected )
            n <<= 1;
        slots = new long[n];
        subjects = new StarSubject[Math.max(expected, INITIAL)];
    }

    int size() {
        return size;
    }

    /** Give each subject's hash to {@code action}. */
    void forEachHash(IntConsumer action) {
        for ( long slot : slots )
            if ( slot != 0 )
                action.accept((int)(slot >>> 32));
    }

    /** The subject of {@code node}, whose hash as {@link SubjectTable#hash} makes it is {@code hash}, or null. */
    StarSubject get(Node node, int hash) {
        int mask = slots.length - 1;
        for ( int i = hash & mask; ; i = (i + 1) & mask ) {
            long slot = slots[i];
            if ( slot == 0 )
                return null;
            if ( (int)(slot >>> 32) == hash ) {
                StarSubject s = subjects[(int)slot - 1];
                if ( s.node == node || s.node.equals(node) )
                    return s;
            }
        }
    }

    /** Add a subject whose node is not in the table. */
    void add(StarSubject s) {
        if ( 2 * (size + 1) > slots.length )
            grow();
        if ( size == subjects.length )
            subjects = Arrays.copyOf(subjects, size * 2);
        subjects[size] = s;
        size++;
        insert(s.hash, size);
    }

    private void insert(int hash, int indexPlusOne) {
        int mask = slots.length - 1;
        int i = hash & mask;
        while ( slots[i] != 0 )
            i = (i + 1) & mask;
        slots[i] = (long)hash << 32 | indexPlusOne;
    }

    private void grow() {
        slots = new long[slots.length * 2];
        for ( int k = 0; k < size; k++ )
            insert(subjects[k].hash, k + 1);
    }

    /** Remove every subject and let go of the table's memory. */
    void clear() {
        slots = new long[INITIAL];
        subjects = new StarSubject[INITIAL];
        size = 0;
    }
}
