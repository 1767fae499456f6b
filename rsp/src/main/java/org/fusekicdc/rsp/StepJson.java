package org.fusekicdc.rsp;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.sparql.exec.RowSetStream;

/**
 * A step as JSON, the same for SSE ({@code event: step}), WebSocket and sinks:
 * {@code {"query", "step", "operator", "windowStart", "windowEnd", "version", "results"}}, the
 * times in ISO 8601, {@code results} a SPARQL 1.1 JSON results document (SELECT rows, an ASK
 * boolean, or for CONSTRUCT the triples as rows of {@code subject}, {@code predicate},
 * {@code object}).
 */
public final class StepJson {
    public static final List<Var> TRIPLE_VARS = List.of(Var.alloc("subject"), Var.alloc("predicate"), Var.alloc("object"));

    private StepJson() {}

    public static JsonObject of(Step step) {
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

    public static JsonObject results(StepResult result) {
        return switch (result) {
            case StepResult.Rows r -> select(r.vars(), r.rows());
            case StepResult.Bool b -> ask(b.value());
            case StepResult.Triples t -> select(TRIPLE_VARS, rows(t.graph().find().toList()));
        };
    }

    /**
     * Rows in the SPARQL 1.1 Query Results JSON form, as Jena writes it. Rows of IRIs and
     * literals are built directly (a step is written on the thread that evaluates the queries,
     * where Jena's writer and a parse of its text took milliseconds per step); blank nodes, whose
     * labels Jena assigns, and other terms go through Jena's writer.
     */
    private static JsonObject select(List<Var> vars, List<Binding> rows) {
        if ( !onlyIrisAndLiterals(vars, rows) )
            return selectWrittenByJena(vars, rows);
        JsonArray names = new JsonArray();
        vars.forEach(v -> names.add(v.getVarName()));
        JsonObject head = new JsonObject();
        head.put("vars", names);
        JsonArray bindings = new JsonArray();
        for ( Binding row : rows ) {
            JsonObject b = new JsonObject();
            for ( Var v : vars ) {
                Node n = row.get(v);
                if ( n != null )
                    b.put(v.getVarName(), term(n));
            }
            bindings.add(b);
        }
        JsonObject results = new JsonObject();
        results.put("bindings", bindings);
        JsonObject o = new JsonObject();
        o.put("head", head);
        o.put("results", results);
        return o;
    }

    private static boolean onlyIrisAndLiterals(List<Var> vars, List<Binding> rows) {
        for ( Binding row : rows )
            for ( Var v : vars ) {
                Node n = row.get(v);
                if ( n != null && !n.isURI() && !(n.isLiteral() && n.getLiteralBaseDirection() == null) )
                    return false;
            }
        return true;
    }

    /** An IRI or a literal as a term of the JSON results form, keys in Jena's order. */
    private static JsonObject term(Node n) {
        JsonObject t = new JsonObject();
        if ( n.isURI() ) {
            t.put("type", "uri");
            t.put("value", n.getURI());
            return t;
        }
        t.put("type", "literal");
        String lang = n.getLiteralLanguage();
        if ( lang != null && !lang.isEmpty() )
            t.put("xml:lang", lang);
        else if ( !XSDDatatype.XSDstring.getURI().equals(n.getLiteralDatatypeURI()) )
            t.put("datatype", n.getLiteralDatatypeURI());
        t.put("value", n.getLiteralLexicalForm());
        return t;
    }

    private static JsonObject selectWrittenByJena(List<Var> vars, List<Binding> rows) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ResultSetFormatter.outputAsJSON(out, org.apache.jena.query.ResultSet.adapt(RowSetStream.create(vars, rows.iterator())));
        return JSON.parse(new java.io.ByteArrayInputStream(out.toByteArray()));
    }

    private static JsonObject ask(boolean answer) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ResultSetFormatter.outputAsJSON(out, answer);
        return JSON.parse(new java.io.ByteArrayInputStream(out.toByteArray()));
    }

    private static List<Binding> rows(List<Triple> triples) {
        List<Binding> rows = new ArrayList<>(triples.size());
        for ( Triple t : triples )
            rows.add(BindingFactory.binding(TRIPLE_VARS.get(0), t.getSubject(), TRIPLE_VARS.get(1), t.getPredicate(), TRIPLE_VARS.get(2), t.getObject()));
        return rows;
    }

    /** The step number of a step's JSON. */
    public static long stepOf(JsonObject json) {
        return json.get("step").getAsNumber().value().longValue();
    }
}
