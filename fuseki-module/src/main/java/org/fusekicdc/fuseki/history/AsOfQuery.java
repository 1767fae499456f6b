package org.fusekicdc.fuseki.history;

import java.util.Collection;
import java.util.List;

import org.apache.jena.fuseki.servlets.HttpAction;
import org.apache.jena.fuseki.servlets.SPARQLProtocol;
import org.apache.jena.fuseki.servlets.SPARQL_QueryDataset;
import org.apache.jena.fuseki.servlets.ServletOps;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryException;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.QueryParseException;
import org.apache.jena.query.Syntax;
import org.apache.jena.sparql.core.DatasetDescription;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DynamicDatasets;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.QueryExecResult;
import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.runtime.DatasetRuntime;
import org.fusekicdc.fuseki.runtime.DatasetRuntimes;

/**
 * A SPARQL query evaluated on the dataset as of a version ({@link AsOf}): Fuseki's query
 * processing (protocol, timeouts, result formats), on the as-of view in its own read
 * transaction, seen through the request user's graph-level access control.
 */
final class AsOfQuery extends SPARQL_QueryDataset {
    @Override
    protected Collection<String> customParams() {
        return List.of(AsOf.PARAM_VERSION);
    }

    @Override
    protected void execute(String queryString, HttpAction action) {
        if ( queryString == null || queryString.isBlank() )
            ServletOps.errorBadRequest("Empty query string");
        DatasetRuntime runtime = DatasetRuntimes.require(action, "query");
        Query query = null;
        try {
            query = QueryFactory.create(queryString, null, Syntax.syntaxARQ);
            validateQuery(action, query);
        } catch (QueryParseException ex) {
            ServletOps.errorBadRequest(SPARQLProtocol.messageForParseException(ex));
        } catch (QueryException ex) {
            ServletOps.errorBadRequest(SPARQLProtocol.messageForException(ex));
        }
        ReaderView view = ReaderView.of(action);
        try (AsOfRead read = AsOf.open(action, runtime)) {
            action.log.info(String.format("[%d] Query as of version %d (dataset '%s' at %d) = %s", action.id, read.version(), runtime.name(), read.head(),
                                          ServletOps.formatForLog(queryString)));
            DatasetGraph dsg = view.over(read.dataset());
            Query q = query;
            DatasetDescription desc = SPARQLProtocol.getDatasetDescription(action, query);
            if ( desc != null ) {
                dsg = DynamicDatasets.dynamicDataset(desc, dsg, false);
                if ( query.hasDatasetDescription() ) {
                    q = query.cloneQuery();
                    q.getGraphURIs().clear();
                    q.getNamedGraphURIs().clear();
                }
            }
            try (QueryExec exec = createQueryExec(action, q, dsg)) {
                QueryExecResult result = executeQuery(action, exec, query, ServletOps.formatForLog(queryString));
                sendResults(action, result, query.getPrologue());
            }
        }
    }
}
