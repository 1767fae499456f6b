package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.query.Query;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.fusekicdc.rsp.StepResult;

/**
 * The reference evaluation: each window's content as a graph, the query run by Jena over the
 * dataset with those graphs added. Correct for every query; costs a pass over the windows per step.
 */
final class ReEvaluation implements StepEvaluator {
    private final Query query;
    private final boolean usesNow;

    ReEvaluation(Query query) {
        this.query = query;
        this.usesNow = StepTime.usesNow(query);
    }

    @Override
    public StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now) {
        Map<Node, Graph> graphs = new HashMap<>();
        for ( WindowView w : windows )
            graphs.put(w.spec().iri(), WindowGraphs.of(w));
        return run(usesNow ? StepTime.at(query, now) : query, new WindowDatasetGraph(dataset, graphs));
    }

    /** Run {@code query} on {@code dsg} and hold the whole answer. */
    static StepResult run(Query query, DatasetGraph dsg) {
        try (QueryExec exec = QueryExec.dataset(dsg).query(query).build()) {
            if ( query.isAskType() )
                return new StepResult.Bool(exec.ask());
            if ( query.isConstructType() ) {
                Graph g = GraphFactory.createGraphMem();
                exec.constructTriples().forEachRemaining(g::add);
                return new StepResult.Triples(g);
            }
            RowSet rows = exec.select();
            List<Var> vars = rows.getResultVars();
            List<Binding> out = new ArrayList<>();
            rows.forEachRemaining(out::add);
            return new StepResult.Rows(vars, out);
        }
    }

    @Override
    public boolean incremental() {
        return false;
    }
}
