package org.fusekicdc.fuseki.live;

import java.util.List;

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonNumber;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.fusekicdc.live.LiveDelta;
import org.fusekicdc.live.LiveResult;

/** Live query events as JSON, with rows in the SPARQL 1.1 Query Results JSON form. */
final class LiveJson {
    private LiveJson() {}

    /** The whole answer as a SPARQL JSON results document (plus {@code version}, and {@code resync} when it replaces missed updates). */
    static JsonObject initial(LiveResult r, boolean resync) {
        JsonObject o = new JsonObject();
        JsonObject head = new JsonObject();
        JsonArray vars = new JsonArray();
        r.vars().forEach(v -> vars.add(v.getVarName()));
        head.put("vars", vars);
        o.put("head", head);
        if ( r.ask() != null )
            o.put("boolean", r.ask());
        else {
            JsonObject results = new JsonObject();
            results.put("bindings", rows(r.rowList(), r.vars()));
            o.put("results", results);
        }
        o.put("version", r.version());
        if ( resync )
            o.put("resync", true);
        return o;
    }

    static JsonObject update(LiveDelta d, List<Var> vars) {
        JsonObject o = new JsonObject();
        o.put("version", d.version());
        if ( d.ask() != null )
            o.put("boolean", d.ask().booleanValue());
        else {
            o.put("additions", rows(d.additions(), vars));
            o.put("deletions", rows(d.deletions(), vars));
        }
        return o;
    }

    static JsonArray rows(List<Binding> rows, List<Var> vars) {
        JsonArray a = new JsonArray();
        for ( Binding b : rows ) {
            JsonObject row = new JsonObject();
            for ( Var v : vars ) {
                Node n = b.get(v);
                if ( n != null )
                    row.put(v.getVarName(), term(n));
            }
            a.add(row);
        }
        return a;
    }

    static JsonObject term(Node n) {
        JsonObject t = new JsonObject();
        if ( n.isURI() ) {
            t.put("type", "uri");
            t.put("value", n.getURI());
        } else if ( n.isBlank() ) {
            t.put("type", "bnode");
            t.put("value", n.getBlankNodeLabel());
        } else if ( n.isLiteral() ) {
            t.put("type", "literal");
            t.put("value", n.getLiteralLexicalForm());
            String lang = n.getLiteralLanguage();
            if ( lang != null && !lang.isEmpty() )
                t.put("xml:lang", lang);
            else if ( n.getLiteralDatatypeURI() != null && !n.getLiteralDatatypeURI().equals("http://www.w3.org/2001/XMLSchema#string") )
                t.put("datatype", n.getLiteralDatatypeURI());
        } else {
            t.put("type", "triple");
            t.put("value", n.toString());
        }
        return t;
    }

    static JsonObject error(long version, String message) {
        JsonObject o = new JsonObject();
        o.put("version", JsonNumber.value(version));
        o.put("message", message);
        return o;
    }
}
