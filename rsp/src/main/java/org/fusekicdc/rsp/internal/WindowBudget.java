package org.fusekicdc.rsp.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.live.QueryPatterns.QuadPattern;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.ContinuousQueryException;
import org.fusekicdc.rsp.WindowSpec;

/**
 * The registration check of a query's commit-time windows against {@code cdc:maxWindowQuads}:
 * the events each window would keep among the most recent commits, counted back over its
 * RANGE. A window that the last RANGE of the stream already overfills would fail its query as
 * soon as it filled at the same rate, so it is refused at once. Reads at most one event past
 * the budget per window.
 */
public final class WindowBudget {
    private WindowBudget() {}

    /**
     * @param newestFirst the stream's commits, newest first (read lazily, only as far back as the longest RANGE)
     * @throws ContinuousQueryException naming the window, the span counted and the option
     */
    public static void check(ContinuousQuery query, long maxWindowQuads, Instant now, Iterator<Commit> newestFirst) {
        List<WindowSpec> windows = new ArrayList<>();
        List<Set<Node>> filters = new ArrayList<>();
        List<QuadPattern> patterns = Engine.patterns(query);
        long longest = 0;
        for ( WindowSpec w : query.windows() ) {
            if ( w.kind() != WindowSpec.Kind.TIME || w.eventTime() )
                continue;
            windows.add(w);
            filters.add(Engine.predicates(w.iri(), patterns));
            longest = Math.max(longest, w.range().toMillis());
        }
        if ( windows.isEmpty() )
            return;
        long[] counts = new long[windows.size()];
        long newest = -1;
        while ( newestFirst.hasNext() ) {
            Commit c = newestFirst.next();
            long age = now.toEpochMilli() - c.commitTime().toEpochMilli();
            if ( age >= longest )
                return;
            newest = newest < 0 ? c.version() : newest;
            for ( int i = 0; i < windows.size(); i++ ) {
                WindowSpec w = windows.get(i);
                if ( age >= w.range().toMillis() )
                    continue;
                for ( Quad q : StreamEvents.quads(c, w) )
                    if ( StreamEvents.wanted(filters.get(i), q) )
                        counts[i]++;
                if ( counts[i] > maxWindowQuads )
                    throw new ContinuousQueryException("window <" + w.iri().getURI() + "> [RANGE " + w.range() + "] would hold more than " + maxWindowQuads
                                                       + " quad events, the budget cdc:maxWindowQuads: the commits of its last " + w.range()
                                                       + " (versions " + c.version() + " to " + newest + ") already hold more events it keeps."
                                                       + " Shorten the window's RANGE, restrict it with GRAPH <g>, or raise cdc:maxWindowQuads");
            }
        }
    }
}
