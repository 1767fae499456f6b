package org.fusekicdc.core.internal.capture;

import java.util.Iterator;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2Adds;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2Classpath;

/**
 * Adds and deletes of single quads that say whether they changed the store and, when they
 * did, give the quad back in the store's terms: the terms a later find or delete of it sees.
 * <p>
 * TDB2 keeps most numbers, dates, date-times and booleans by value and reads them back in
 * canonical form: {@code "01.50"^^xsd:decimal} is held, found and deleted as {@code 1.5}, and
 * deleting {@code "1.50"} deletes that {@code 1.5}. Other stores (TIM, graphs in memory) keep
 * terms as given. Recording the store's term makes an add and its later delete name the same
 * term, so a replay of the log onto any store reproduces the dataset.
 */
final class StoreWrites {
    private final DatasetGraph store;
    // One-lookup adds when the store is TDB2; null otherwise.
    private final Tdb2Adds tdb2Adds;

    StoreWrites(DatasetGraph store) {
        this.store = store;
        this.tdb2Adds = Tdb2Classpath.present() ? Tdb2Adds.forStore(store) : null;
    }

    /** Add a concrete quad: the quad as stored if it was absent, null if the store held it already. */
    Quad add(Node g, Node s, Node p, Node o) {
        if ( tdb2Adds != null )
            return tdb2Adds.addIfAbsent(g, s, p, o);
        if ( store.contains(g, s, p, o) )
            return null;
        store.add(g, s, p, o);
        return Quad.create(g, s, p, o);
    }

    /** Delete a concrete quad: the quad as it was stored if present, null if absent. */
    Quad delete(Node g, Node s, Node p, Node o) {
        if ( tdb2Adds != null ) {
            // TDB2's terms follow from the quad's own literals: no need to read the stored quad back.
            if ( !store.contains(g, s, p, o) )
                return null;
            store.delete(g, s, p, o);
            return Tdb2Adds.storedTerms(g, s, p, o);
        }
        Quad stored = find(g, s, p, o);
        if ( stored != null )
            store.delete(stored);
        return stored;
    }

    private Quad find(Node g, Node s, Node p, Node o) {
        Iterator<Quad> iter = store.find(g, s, p, o);
        try {
            if ( !iter.hasNext() )
                return null;
            Quad found = iter.next();
            return Quad.create(g, found.getSubject(), found.getPredicate(), found.getObject());
        } finally {
            Iter.close(iter);
        }
    }
}
