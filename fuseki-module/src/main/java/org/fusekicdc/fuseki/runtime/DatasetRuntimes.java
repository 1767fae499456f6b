package org.fusekicdc.fuseki.runtime;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;

/** Finds the runtime of the captured dataset behind a Fuseki dataset, through any wrappers Fuseki adds. */
public final class DatasetRuntimes {
    private DatasetRuntimes() {}

    /** The runtime of the captured dataset behind {@code dsg}, or null when it is not captured. */
    public static DatasetRuntime find(DatasetGraph dsg) {
        while ( !(dsg instanceof ServedDataset) && dsg instanceof DatasetGraphWrapper w )
            dsg = w.getWrapped();
        return dsg instanceof ServedDataset s ? s.runtime() : null;
    }

    /** The runtime of an action's captured dataset; a server error naming the endpoint when there is none. */
    public static DatasetRuntime require(HttpAction action, String endpoint) {
        DatasetRuntime r = find(action.getDataset());
        if ( r == null )
            ServletOps.errorOccurred("The " + endpoint + " endpoint is attached to a dataset that is not a cdc:CapturedDataset; fix the server configuration.");
        return r;
    }
}
