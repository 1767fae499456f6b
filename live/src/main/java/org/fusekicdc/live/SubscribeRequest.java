package org.fusekicdc.live;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.QueryParseException;

/**
 * A subscribe request: answered once, by the engine (a subscription or an error) or by whoever abandons it.
 *
 * @param key the query as its subscribers share it: the query, after the view's key for a restricted view
 */
record SubscribeRequest(long id, Query query, LiveView view, String key, List<QueryPatterns.QuadPattern> patterns, String client,
                        long resumeAfter, CompletableFuture<Subscription> done) {

    /** The query of a subscribe request, if it can be live. */
    static Query parse(String queryString) {
        Query q;
        try {
            q = QueryFactory.create(queryString);
        } catch (QueryParseException ex) {
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Bad query: " + ex.getMessage());
        }
        if ( !(q.isSelectType() || q.isAskType() || q.isConstructType()) )
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Live queries are SELECT, ASK or CONSTRUCT, not " + q.queryType());
        if ( q.hasDatasetDescription() )
            throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY, "Live queries are evaluated on the whole dataset: FROM and FROM NAMED"
                                         + " are not supported. Use GRAPH <name> { ... } in the pattern instead.");
        return q;
    }
}
