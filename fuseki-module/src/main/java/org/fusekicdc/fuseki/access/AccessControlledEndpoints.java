package org.fusekicdc.fuseki.access;

import java.util.List;

import org.apache.jena.fuseki.access.DataAccessCtl;
import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.server.DataAccessPoint;
import org.apache.jena.fuseki.server.Operation;
import org.apache.jena.fuseki.server.OperationRegistry;
import org.apache.jena.fuseki.servlets.ActionService;

/**
 * Fuseki replaces every operation of an access-controlled service except query and read-only
 * Graph Store Protocol with "not supported for graph level access control". fuseki-cdc's
 * operations apply the user's view themselves ({@link ReaderView}), so they are put back.
 */
public final class AccessControlledEndpoints {
    private AccessControlledEndpoints() {}

    /** Give {@code operations}' endpoints on access-controlled services their own processors again. */
    public static void restore(FusekiServer server, List<Operation> operations) {
        OperationRegistry registry = OperationRegistry.get(server.getServletContext());
        for ( DataAccessPoint dap : server.getDataAccessPointRegistry().accessPoints() ) {
            if ( !DataAccessCtl.isAccessControlled(dap.getDataService().getDataset()) )
                continue;
            for ( Operation op : operations ) {
                ActionService handler = registry.findHandler(op);
                dap.getDataService().getEndpoints(op).forEach(ep -> ep.setProcessor(handler));
            }
        }
    }
}
