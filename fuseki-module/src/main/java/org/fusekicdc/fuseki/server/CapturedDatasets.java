package org.fusekicdc.fuseki.server;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.fusekicdc.core.capture.CapturingDatasetGraph;

/** Finds the captured dataset behind a Fuseki dataset, through any wrappers Fuseki adds. */
public final class CapturedDatasets {
    private CapturedDatasets() {}

    /** The captured dataset behind {@code dsg}, or null when it is not captured. */
    public static CapturingDatasetGraph find(DatasetGraph dsg) {
        while ( !(dsg instanceof CapturingDatasetGraph) && dsg instanceof DatasetGraphWrapper w )
            dsg = w.getWrapped();
        return dsg instanceof CapturingDatasetGraph c ? c : null;
    }

    /** The captured dataset of an action's service; a server error naming the endpoint when there is none. */
    public static CapturingDatasetGraph require(HttpAction action, String endpoint) {
        CapturingDatasetGraph c = find(action.getDataset());
        if ( c == null )
            ServletOps.errorOccurred("The " + endpoint + " endpoint is attached to a dataset that is not a cdc:CapturedDataset; fix the server configuration.");
        return c;
    }
}
