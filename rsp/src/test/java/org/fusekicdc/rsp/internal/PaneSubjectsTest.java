package org.fusekicdc.rsp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.junit.jupiter.api.Test;

/** A pane's subject table finds every subject added, by an equal node, across growth and hash collisions. */
class PaneSubjectsTest {
    private static Node node(int i) {
        return NodeFactory.createURI("http://example.org/o" + i);
    }

    @Test
    void findsEverySubjectAfterGrowingFromEmpty() {
        PaneSubjects table = new PaneSubjects(0);
        List<StarSubject> added = new ArrayList<>();
        for ( int i = 0; i < 5000; i++ ) {
            Node n = node(i);
            StarSubject s = new StarSubject(n, SubjectTable.hash(n), null);
            table.add(s);
            added.add(s);
        }
        assertEquals(5000, table.size());
        for ( int i = 0; i < 5000; i++ ) {
            Node n = node(i);
            assertSame(added.get(i), table.get(n, SubjectTable.hash(n)));
        }
        Node absent = node(5000);
        assertNull(table.get(absent, SubjectTable.hash(absent)));
        int[] hashes = {0};
        table.forEachHash(h -> hashes[0]++);
        assertEquals(5000, hashes[0]);
    }

    @Test
    void tellsApartSubjectsWithTheSameHash() {
        PaneSubjects table = new PaneSubjects(4);
        List<StarSubject> added = new ArrayList<>();
        for ( int i = 0; i < 40; i++ ) {
            StarSubject s = new StarSubject(node(i), 42, null);
            table.add(s);
            added.add(s);
        }
        for ( int i = 0; i < 40; i++ )
            assertSame(added.get(i), table.get(node(i), 42));
        assertNull(table.get(node(40), 42));
    }

    @Test
    void clearedTableIsEmptyAndTakesSubjectsAgain() {
        PaneSubjects table = new PaneSubjects(100);
        Node n = node(1);
        table.add(new StarSubject(n, SubjectTable.hash(n), null));
        table.clear();
        assertEquals(0, table.size());
        assertNull(table.get(n, SubjectTable.hash(n)));
        StarSubject again = new StarSubject(n, SubjectTable.hash(n), null);
        table.add(again);
        assertSame(again, table.get(node(1), SubjectTable.hash(n)));
    }
}
