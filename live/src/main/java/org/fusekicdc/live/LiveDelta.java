package org.fusekicdc.live;

import java.util.List;

import org.apache.jena.sparql.engine.binding.Binding;

/**
 * How a query's answer changed up to a version: rows added and rows removed (with
 * repetition, for multisets), or the new ASK answer.
 */
public record LiveDelta(long version, List<Binding> additions, List<Binding> deletions, Boolean ask) {
    /** This change followed by {@code next}, as one change at {@code next}'s version. */
    public LiveDelta then(LiveDelta next) {
        if ( next.ask() != null )
            return next;
        List<Binding> add = new java.util.ArrayList<>(additions);
        List<Binding> del = new java.util.ArrayList<>(deletions);
        for ( Binding b : next.deletions() ) {
            if ( !add.remove(b) )
                del.add(b);
        }
        for ( Binding b : next.additions() ) {
            if ( !del.remove(b) )
                add.add(b);
        }
        return new LiveDelta(next.version(), add, del, null);
    }

    public boolean isEmpty() {
        return ask == null && additions.isEmpty() && deletions.isEmpty();
    }
}
