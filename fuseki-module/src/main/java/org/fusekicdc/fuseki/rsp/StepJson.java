package org.fusekicdc.fuseki.rsp;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.fusekicdc.fuseki.live.LiveJson;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepResult;

/**
 * A step as JSON, the same for SSE ({@code event: step}), WebSocket and sinks:
 * {@code {"query", "step", "operator", "windowStart", "windowEnd", "version", "results"}}, the
 * times in ISO 8601, {@code results} a SPARQL 1.1 JSON results document (SELECT rows, an ASK
 * boolean, or for CONSTRUCT the triples as rows of {@code subject}, {@code predicate},
 * {@code object}).
 */
final class StepJson {
    static final List<Var> TRIPLE_VARS = List.of(Var.alloc("subject"), Var.alloc("predicate"), Var.alloc("object"));

    private StepJson() {}

    static JsonObject of(Step step) {
        JsonObject o = new JsonObject();
        o.put("query", step.query());
        o.put("step", step.number());
        o.put("operator", step.operator().name());
        o.put("windowStart", step.windowStart().toString());
        o.put("windowEnd", step.windowEnd().toString());
        o.put("version", step.version());
        o.put("results", results(step.result()));
        return o;
    }

    static JsonObject results(StepResult result) {
        return switch (result) {
            case StepResult.Rows r -> LiveJson.results(r.vars(), r.rows());
            case StepResult.Bool b -> LiveJson.ask(b.value());
            case StepResult.Triples t -> LiveJson.results(TRIPLE_VARS, rows(t.graph().find().toList()));
        };
    }

    private static List<Binding> rows(List<Triple> triples) {
        List<Binding> rows = new ArrayList<>(triples.size());
        for ( Triple t : triples )
            rows.add(BindingFactory.binding(TRIPLE_VARS.get(0), t.getSubject(), TRIPLE_VARS.get(1), t.getPredicate(), TRIPLE_VARS.get(2), t.getObject()));
        return rows;
    }

    /** The step number of a step's JSON. */
    static long stepOf(JsonObject json) {
        return json.get("step").getAsNumber().value().longValue();
    }
}
