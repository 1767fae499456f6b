package org.fusekicdc.fuseki.history;

import java.util.List;

import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.server.DataAccessPoint;
import org.apache.jena.fuseki.server.Endpoint;
import org.apache.jena.fuseki.server.Operation;
import org.apache.jena.fuseki.servlets.ActionProcessor;
import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.http.HttpMethod;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * Puts as-of reads on a captured dataset's existing query and Graph Store Protocol endpoints: a
 * request with {@code version} or {@code Accept-Datetime} is answered as of that version
 * ({@link AsOfQuery}, {@link AsOfGraphStore}); every other request goes to the endpoint's own
 * processor, unchanged (Jena's access-controlled ones included).
 */
public final class AsOfReads implements ActionProcessor {
    private static final List<Operation> QUERY = List.of(Operation.Query);
    private static final List<Operation> GRAPH_STORE = List.of(Operation.GSP_R, Operation.GSP_RW);

    private final ActionProcessor delegate;
    private final boolean query;
    private final AsOfQuery asOfQuery = new AsOfQuery();

    private AsOfReads(ActionProcessor delegate, boolean query) {
        this.delegate = delegate;
        this.query = query;
    }

    /** Wrap the query and Graph Store Protocol endpoints of every service whose dataset is captured. */
    public static void install(FusekiServer server) {
        for ( DataAccessPoint dap : server.getDataAccessPointRegistry().accessPoints() ) {
            if ( DatasetRuntimes.find(dap.getDataService().getDataset()) == null )
                continue;
            QUERY.forEach(op -> dap.getDataService().getEndpoints(op).forEach(ep -> wrap(ep, true)));
            GRAPH_STORE.forEach(op -> dap.getDataService().getEndpoints(op).forEach(ep -> wrap(ep, false)));
        }
    }

    private static void wrap(Endpoint ep, boolean query) {
        ActionProcessor p = ep.getProcessor();
        if ( p != null && !(p instanceof AsOfReads) )
            ep.setProcessor(new AsOfReads(p, query));
    }

    @Override
    public void process(HttpAction action) {
        if ( !AsOf.requested(action) ) {
            delegate.process(action);
            return;
        }
        String method = action.getRequestMethod();
        if ( query ) {
            asOfQuery.process(action);
            return;
        }
        if ( HttpMethod.METHOD_GET.equals(method) || HttpMethod.METHOD_HEAD.equals(method) ) {
            AsOfGraphStore.get(action);
            return;
        }
        ServletOps.errorBadRequest("The version parameter and the Accept-Datetime header are for reads (GET, HEAD): " + method
                                   + " changes the current dataset; send it without them.");
    }
}
