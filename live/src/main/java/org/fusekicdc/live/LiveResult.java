package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;

/**
 * A query's answer at one version, immutable. SELECT and CONSTRUCT answers are multisets of
 * rows (a CONSTRUCT row binds {@code subject}, {@code predicate}, {@code object}); an ASK
 * answer is a boolean.
 *
 * @param version the dataset version the answer reflects
 * @param vars    the result variables (empty for ASK)
 * @param rows    row to number of occurrences; empty for ASK
 * @param ask     the ASK answer, or null
 */
public record LiveResult(long version, List<Var> vars, Map<Binding, Integer> rows, Boolean ask) {
    public LiveResult {
        vars = List.copyOf(vars);
        rows = Collections.unmodifiableMap(rows);
    }

    public int rowCount() {
        int n = 0;
        for ( int c : rows.values() )
            n += c;
        return n;
    }

    /** Every row, repeated as many times as it occurs. */
    public List<Binding> rowList() {
        List<Binding> out = new ArrayList<>(rowCount());
        rows.forEach((b, c) -> {
            for ( int i = 0 ; i < c ; i++ )
                out.add(b);
        });
        return out;
    }

    /** The change from {@code before} to this answer; null when nothing changed. */
    public LiveDelta since(LiveResult before) {
        if ( ask != null )
            return ask.equals(before.ask) ? null : new LiveDelta(version, List.of(), List.of(), ask);
        List<Binding> added = new ArrayList<>();
        List<Binding> removed = new ArrayList<>();
        rows.forEach((b, c) -> {
            int d = c - before.rows.getOrDefault(b, 0);
            for ( int i = 0 ; i < d ; i++ )
                added.add(b);
        });
        before.rows.forEach((b, c) -> {
            int d = c - rows.getOrDefault(b, 0);
            for ( int i = 0 ; i < d ; i++ )
                removed.add(b);
        });
        return added.isEmpty() && removed.isEmpty() ? null : new LiveDelta(version, added, removed, null);
    }

    /** This answer with a delta applied (for clients and tests that accumulate updates). */
    public LiveResult apply(LiveDelta d) {
        if ( d.ask() != null )
            return new LiveResult(d.version(), vars, rows, d.ask());
        Map<Binding, Integer> m = new HashMap<>(rows);
        d.deletions().forEach(b -> m.computeIfPresent(b, (k, c) -> c == 1 ? null : c - 1));
        d.additions().forEach(b -> m.merge(b, 1, Integer::sum));
        return new LiveResult(d.version(), vars, m, null);
    }
}
