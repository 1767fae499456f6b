package org.fusekicdc.rsp.internal;

import org.apache.jena.graph.Node;

/**
 * Subjects by node (those spanning panes; a pane's own are in {@link PaneSubjects}): open addressing with
 * linear probing, each slot's hash kept beside it. Hash 0 marks an empty slot, so that a lookup
 * of a subject that is not there reads the hashes only. A subject remembers its hash, so that
 * removing it finds its slot by hash and identity without reading its node again.
 */
final class SubjectTable {
    private static final int INITIAL = 16;

    private int[] hashes;
    private StarSubject[] subjects;
    private int size;

    SubjectTable() {
        hashes = new int[INITIAL];
        subjects = new StarSubject[INITIAL];
    }

    int size() {
        return size;
    }

    /** The hash a subject with this node is kept under, never 0. */
    static int hash(Node node) {
        int h = node.hashCode() * 0x9E3779B9;
        h ^= h >>> 16;
        return h == 0 ? 1 : h;
    }

    /** The subject of {@code node}, whose hash is {@code hash}, or null. */
    StarSubject get(Node node, int hash) {
        int mask = subjects.length - 1;
        for ( int i = hash & mask; ; i = (i + 1) & mask ) {
            int h = hashes[i];
            if ( h == 0 )
                return null;
            if ( h == hash ) {
                StarSubject s = subjects[i];
                if ( s.node == node || s.node.equals(node) )
                    return s;
            }
        }
    }

    /** Add a subject whose node is not in the table. */
    void add(StarSubject s) {
        if ( 2 * (size + 1) > subjects.length )
            grow();
        insert(s);
        size++;
    }

    private void insert(StarSubject s) {
        int mask = subjects.length - 1;
        int i = s.hash & mask;
        while ( hashes[i] != 0 )
            i = (i + 1) & mask;
        subjects[i] = s;
        hashes[i] = s.hash;
    }

    private void grow() {
        StarSubject[] old = subjects;
        subjects = new StarSubject[old.length * 2];
        hashes = new int[old.length * 2];
        for ( StarSubject s : old )
            if ( s != null )
                insert(s);
    }

    /** Remove this subject (not another of the same node), if it is in the table. */
    void remove(StarSubject s) {
        int mask = subjects.length - 1;
        for ( int i = s.hash & mask; hashes[i] != 0; i = (i + 1) & mask ) {
            if ( subjects[i] == s ) {
                removeAt(i, mask);
                return;
            }
        }
    }

    /** Empty slot {@code i} and move back the entries after it that would no longer be found. */
    private void removeAt(int i, int mask) {
        int j = i;
        while ( true ) {
            j = (j + 1) & mask;
            if ( hashes[j] == 0 )
                break;
            int home = hashes[j] & mask;
            boolean stays = i <= j ? i < home && home <= j : i < home || home <= j;
            if ( stays )
                continue;
            subjects[i] = subjects[j];
            hashes[i] = hashes[j];
            i = j;
        }
        subjects[i] = null;
        hashes[i] = 0;
        size--;
    }

    /** Remove every subject and let go of the table's memory. */
    void clear() {
        hashes = new int[INITIAL];
        subjects = new StarSubject[INITIAL];
        size = 0;
    }
}
