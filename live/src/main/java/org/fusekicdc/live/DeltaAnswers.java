package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.sparql.engine.binding.Binding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Applies the change delta rules found for a query to its answer. */
final class DeltaAnswers {
    private static final Logger LOG = LoggerFactory.getLogger(DeltaAnswers.class);

    private DeltaAnswers() {}

    /** A query's new answer and the change from the previous one (null if none). */
    record Applied(LiveResult result, LiveDelta delta) {}

    /**
     * The group's answer at {@code to} with each row's number of occurrences changed by
     * {@code diff}, or null when the counts do not add up (then the query is re-run). Costs what
     * the change costs, plus a copy of the answer when it changes.
     */
    static Applied apply(LiveGroup g, Map<Binding, Integer> diff, long to, Evaluator evaluator, int maxResultRows, String dataset) {
        LiveResult before = g.result();
        long limit = g.plan.limit();
        if ( diff.isEmpty() )
            return new Applied(before, null);
        if ( limit >= 0 && g.rowCount >= limit ) {
            // Any LIMIT rows will do: a full answer holds unless one of its rows lost a solution (which may have been its last).
            for ( Map.Entry<Binding, Integer> e : diff.entrySet() ) {
                if ( e.getValue() < 0 && before.rows().containsKey(e.getKey()) )
                    return null;
            }
            return new Applied(before, null);
        }
        boolean distinct = g.plan.distinct();
        // The counts behind a DISTINCT answer are the engine's own: changed in place (a re-run resets them).
        Map<Binding, Integer> counts = distinct ? g.counts : new HashMap<>(before.rows());
        Map<Binding, Integer> rows = distinct ? new HashMap<>(before.rows()) : counts;
        for ( Map.Entry<Binding, Integer> e : diff.entrySet() ) {
            int c = counts.getOrDefault(e.getKey(), 0) + e.getValue();
            if ( c < 0 ) {
                LOG.warn("Dataset '{}': live query's counts went negative at version {}; re-running it: {}", dataset, to, g.key());
                return null;
            }
            if ( c == 0 )
                counts.remove(e.getKey());
            else
                counts.put(e.getKey(), c);
            if ( distinct ) {
                if ( c == 0 )
                    rows.remove(e.getKey());
                else
                    rows.put(e.getKey(), 1);
            }
        }
        Set<Binding> touched = new HashSet<>(diff.keySet());
        if ( limit >= 0 )
            trim(rows, limit, touched);
        List<Binding> added = new ArrayList<>();
        List<Binding> removed = new ArrayList<>();
        long total = g.rowCount;
        for ( Binding b : touched ) {
            int d = rows.getOrDefault(b, 0) - before.rows().getOrDefault(b, 0);
            total += d;
            for ( int i = 0 ; i < d ; i++ )
                added.add(b);
            for ( int i = 0 ; i < -d ; i++ )
                removed.add(b);
        }
        if ( total > maxResultRows )
            throw evaluator.tooManyRows();
        if ( added.isEmpty() && removed.isEmpty() )
            return new Applied(before, null);
        return new Applied(new LiveResult(to, before.vars(), rows, null), new LiveDelta(to, added, removed, null));
    }

    /** Drop occurrences of rows (any) until there are at most {@code limit}; the rows changed go to {@code touched}. */
    private static void trim(Map<Binding, Integer> rows, long limit, Set<Binding> touched) {
        long excess = -limit;
        for ( int c : rows.values() )
            excess += c;
        var it = rows.entrySet().iterator();
        while ( excess > 0 ) {
            Map.Entry<Binding, Integer> e = it.next();
            int drop = (int)Math.min(excess, e.getValue());
            excess -= drop;
            touched.add(e.getKey());
            if ( drop == e.getValue() )
                it.remove();
            else
                e.setValue(e.getValue() - drop);
        }
    }
}
