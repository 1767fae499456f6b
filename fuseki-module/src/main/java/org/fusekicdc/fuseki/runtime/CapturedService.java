package org.fusekicdc.fuseki.runtime;

import org.apache.jena.fuseki.server.DataAccessPoint;
import org.apache.jena.fuseki.server.Endpoint;
import org.apache.jena.fuseki.server.Operation;
import org.fusekicdc.fuseki.config.CdcOperations;

/**
 * A captured dataset as the server serves it: its runtime, the service path, and the paths of its live
 * query and change feed endpoints (null when it has none). Paths are relative to the server's
 * context path.
 */
public record CapturedService(DatasetRuntime runtime, String service, String live, String changes) {
    public static CapturedService of(DataAccessPoint dap, DatasetRuntime runtime) {
        return new CapturedService(runtime, dap.getName(), endpoint(dap, CdcOperations.LIVE), endpoint(dap, CdcOperations.CHANGES));
    }

    private static String endpoint(DataAccessPoint dap, Operation op) {
        var eps = dap.getDataService().getEndpoints(op);
        return eps.isEmpty() ? null : path(dap, eps.getFirst());
    }

    /** The path of a service's endpoint, relative to the server's context path. */
    public static String path(DataAccessPoint dap, Endpoint ep) {
        return ep.isUnnamed() ? dap.getName() : dap.getName() + "/" + ep.getName();
    }

    public String name() {
        return runtime.name();
    }
}
