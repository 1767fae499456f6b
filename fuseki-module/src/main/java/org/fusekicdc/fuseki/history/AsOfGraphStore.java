package org.fusekicdc.fuseki.history;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.Responses;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.irix.IRIException;
import org.apache.jena.irix.IRIx;
import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.http.ClientInput;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * Graph Store Protocol GET on the dataset as of a version ({@link AsOf}): {@code ?default} for
 * the default graph, {@code ?graph=IRI} for a named graph (404 when it had no triple then, or the
 * user may not read it), neither for the whole dataset as quads.
 */
final class AsOfGraphStore {
    private AsOfGraphStore() {}

    static void get(HttpAction action) {
        DatasetRuntime runtime = DatasetRuntimes.require(action, "Graph Store Protocol");
        String graph = action.getRequestParameter("graph");
        boolean dft = action.getRequestParameter("default") != null;
        if ( graph != null && dft )
            ServletOps.errorBadRequest("Give either ?default or ?graph=IRI, not both");
        Node graphName = graph == null ? null : graphName(action, graph);
        ReaderView view = ReaderView.of(action);
        try (AsOfRead read = AsOf.open(action, runtime)) {
            action.log.info(String.format("[%d] GSP GET as of version %d (dataset '%s' at %d) %s", action.id, read.version(), runtime.name(), read.head(),
                                          dft ? "default graph" : graph == null ? "dataset" : "graph <" + graph + ">"));
            DatasetGraph dsg = view.over(read.dataset());
            if ( dft )
                Responses.doResponseGraph(action, dsg.getDefaultGraph());
            else if ( graphName != null ) {
                // Whether it has a triple the user may see: a filtered view may still name a hidden graph.
                if ( dsg.getGraph(graphName).isEmpty() )
                    ServletOps.errorNotFound("No graph <" + graph + "> at version " + read.version());
                Responses.doResponseGraph(action, dsg.getGraph(graphName));
            } else
                Responses.doResponseDataset(action, dsg);
        }
    }

    private static Node graphName(HttpAction action, String graph) {
        try {
            IRIx iri = IRIx.create(action.getRequestRequestURL().toString()).resolve(graph);
            return NodeFactory.createURI(iri.str());
        } catch (IRIException ex) {
            ServletOps.errorBadRequest("The graph parameter must be an IRI, got " + ClientInput.quote(graph) + ": " + ex.getMessage());
            return null;
        }
    }
}
