package org.fusekicdc.rsp;

import java.util.List;

import org.apache.jena.graph.Graph;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;

/**
 * The answer a step carries: rows for SELECT, a boolean for ASK, a graph for CONSTRUCT.
 * For ISTREAM (DSTREAM) it holds only what is new (gone) since the previous step.
 */
public sealed interface StepResult {
    /** SELECT: the projected variables and the rows, in the query's order when it has ORDER BY. */
    record Rows(List<Var> vars, List<Binding> rows) implements StepResult {
        public Rows {
            vars = List.copyOf(vars);
            rows = List.copyOf(rows);
        }
    }

    /** ASK: the answer at this step, whatever the operator (a boolean has no "new" or "gone" part). */
    record Bool(boolean value) implements StepResult {}

    /** CONSTRUCT: the triples (for ISTREAM/DSTREAM the new/gone ones). */
    record Triples(Graph graph) implements StepResult {}
}
