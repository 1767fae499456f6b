package org.fusekicdc.fuseki.live;

import java.util.List;

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonNumber;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.fusekicdc.fuseki.runtime.ReplicaLag;
import org.fusekicdc.fuseki.runtime.VersionWaits;
import org.fusekicdc.live.LiveDelta;
import org.fusekicdc.live.LiveEvent;
import org.fusekicdc.live.LiveResult;

/** Live query events as JSON, with rows in the SPARQL 1.1 Query Results JSON form. */
final class LiveJson {
    private LiveJson() {}

    /** The whole answer as a SPARQL JSON results document (plus {@code version}, and {@code resync} when it replaces missed updates). */
    static JsonObject initial(LiveResult r, boolean resync) {
        JsonObject o = r.ask() != null ? ask(r.ask()) : results(r.vars(), r.rowList());
        o.put("version", r.version());
        if ( resync )
            o.put("resync", true);
        return o;
    }

    /** A SPARQL JSON results document of SELECT form. */
    static JsonObject results(List<Var> vars, List<Binding> rows) {
        JsonObject o = new JsonObject();
        o.put("head", head(vars));
        JsonObject results = new JsonObject();
        results.put("bindings", rows(rows, vars));
        o.put("results", results);
        return o;
    }

    /** A SPARQL JSON results document of ASK form. */
    static JsonObject ask(boolean answer) {
        JsonObject o = new JsonObject();
        o.put("head", head(List.of()));
        o.put("boolean", answer);
        return o;
    }

    private static JsonObject head(List<Var> vars) {
        JsonObject head = new JsonObject();
        JsonArray names = new JsonArray();
        vars.forEach(v -> names.add(v.getVarName()));
        head.put("vars", names);
        return head;
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

    /**
     * A WebSocket notification, in the shape of SEPA's: the whole answer ({@code "initial": true})
     * or a change, as {@code addedResults} and {@code removedResults} results documents, or
     * {@code "boolean"} for ASK.
     */
    static JsonObject notification(long spuid, String alias, long sequence, LiveEvent event, List<Var> vars) {
        JsonObject n = subscriptionRef(Long.toString(spuid), alias);
        n.put("sequence", sequence);
        n.put("version", event.version());
        switch (event) {
            case LiveEvent.Initial i -> {
                n.put("initial", true);
                if ( i.resync() )
                    n.put("resync", true);
                if ( i.result().ask() != null )
                    n.put("boolean", i.result().ask());
                else {
                    n.put("addedResults", results(vars, i.result().rowList()));
                    n.put("removedResults", results(vars, List.of()));
                }
            }
            case LiveEvent.Update u when u.delta().ask() != null -> n.put("boolean", u.delta().ask().booleanValue());
            case LiveEvent.Update u -> {
                n.put("addedResults", results(vars, u.delta().additions()));
                n.put("removedResults", results(vars, u.delta().deletions()));
            }
            case LiveEvent.Error e -> throw new IllegalArgumentException("An error is not a notification: " + e);
        }
        return message("notification", n);
    }

    static JsonObject unsubscribed(long spuid, String alias) {
        return unsubscribed(Long.toString(spuid), alias);
    }

    static JsonObject unsubscribed(String spuid, String alias) {
        return message("unsubscribed", subscriptionRef(spuid, alias));
    }

    /**
     * A continuous query's step on the WebSocket: {@code {"step": {"spuid", "alias", ...}}} with
     * the fields of the Server-Sent Event {@code step}'s data ({@code query}, {@code step},
     * {@code operator}, {@code windowStart}, {@code windowEnd}, {@code version}, {@code results}).
     */
    static JsonObject step(String spuid, String alias, JsonObject step) {
        return message("step", withRef(spuid, alias, step));
    }

    /**
     * The events of one commit that came too late for a continuous query's windows, on the
     * WebSocket: {@code {"late": {"spuid", "alias", ...}}} with the fields of the Server-Sent
     * Event {@code late}'s data ({@code query}, {@code window}, {@code version}, {@code watermark},
     * {@code events}).
     */
    static JsonObject late(String spuid, String alias, JsonObject late) {
        return message("late", withRef(spuid, alias, late));
    }

    private static JsonObject withRef(String spuid, String alias, JsonObject fields) {
        JsonObject o = subscriptionRef(spuid, alias);
        for ( var field : fields.entrySet() )
            o.put(field.getKey(), field.getValue());
        return o;
    }

    /**
     * A WebSocket error message: an HTTP-like status code, a short token and a sentence; with
     * the subscription's id and alias when it is about one.
     */
    static JsonObject wsError(Long spuid, String alias, int status, String error, String description) {
        return wsError(spuid == null ? null : spuid.toString(), alias, status, error, description);
    }

    static JsonObject wsError(String spuid, String alias, int status, String error, String description) {
        JsonObject e = subscriptionRef(spuid, alias);
        e.put("status_code", status);
        e.put("error", error);
        e.put("error_description", description);
        return message("error", e);
    }

    /**
     * The error a subscribe asking for a version gets when this server did not show it in time:
     * the fields of the HTTP 503's body besides the usual ones.
     */
    static JsonObject wsBehind(String alias, VersionWaits.Behind behind) {
        JsonObject e = subscriptionRef(null, alias);
        e.put("status_code", 503);
        e.put("error", "behind");
        e.put("error_description", behind.why() + ": this server shows version " + behind.lag().version() + " to its readers. Retry in a moment,"
                                   + " or on another server.");
        e.put("minVersion", behind.minVersion());
        e.put("behindAsked", behind.behindAsked());
        ReplicaLag lag = behind.lag();
        e.put("role", lag.role());
        e.put("version", lag.version());
        e.put("leaderVersion", lag.leaderVersion());
        e.put("lagVersions", lag.lagVersions());
        e.put("lagMillis", lag.lagMillis());
        if ( lag.reason() != null )
            e.put("reason", lag.reason());
        return message("error", e);
    }

    private static JsonObject subscriptionRef(String spuid, String alias) {
        JsonObject o = new JsonObject();
        if ( spuid != null )
            o.put("spuid", spuid);
        if ( alias != null )
            o.put("alias", alias);
        return o;
    }

    /**
     * Whether JSON text nests arrays and objects more than {@code max} deep. Counted without
     * parsing, so a message of any depth can be checked before it reaches a recursive parser.
     */
    static boolean nestsDeeperThan(String text, int max) {
        int depth = 0;
        boolean inString = false;
        for ( int i = 0 ; i < text.length() ; i++ ) {
            char c = text.charAt(i);
            if ( inString ) {
                if ( c == '\\' )
                    i++;
                else if ( c == '"' )
                    inString = false;
            } else if ( c == '"' )
                inString = true;
            else if ( (c == '{' || c == '[') && ++depth > max )
                return true;
            else if ( c == '}' || c == ']' )
                depth--;
        }
        return false;
    }

    private static JsonObject message(String type, JsonObject body) {
        JsonObject m = new JsonObject();
        m.put(type, body);
        return m;
    }
}
