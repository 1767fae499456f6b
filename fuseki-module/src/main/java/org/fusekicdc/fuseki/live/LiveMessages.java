package org.fusekicdc.fuseki.live;

import java.math.BigDecimal;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonException;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.fusekicdc.fuseki.http.ClientInput;

/**
 * The messages a client sends on a live WebSocket (see docs/live-queries.md), read from their
 * text: a subscribe, an unsubscribe, or what is wrong with the message.
 */
final class LiveMessages {
    /** Deepest nesting of arrays and objects in a message: far more than any message needs, far less than the parser's stack allows. */
    static final int MAX_JSON_DEPTH = 64;

    private LiveMessages() {}

    sealed interface Message permits Subscribe, Unsubscribe, Invalid {}

    /**
     * @param since    the version after which the client wants changes, or -1 for a fresh answer
     * @param version  the version to start as of (then replay forward), or -1
     * @param datetime the time to start as of (an HTTP date: the last version committed at or before it), or null
     * @param minVersion the version this server must show its readers before the subscription starts (read-your-writes), or -1
     * @param maxWaitMillis the longest the client will wait for {@code minVersion}, or -1 for the configured bound
     */
    record Subscribe(String sparql, String alias, long since, long version, String datetime, long minVersion, long maxWaitMillis) implements Message {
        boolean asOf() {
            return version >= 0 || datetime != null;
        }
    }

    /** @param spuid the subscription's id as the client gave it, or null when it gave none */
    record Unsubscribe(JsonValue spuid) implements Message {}

    /** A message refused with an error reply; {@code alias} when the message gave one. */
    record Invalid(String alias, String token, String description) implements Message {}

    static Message read(String text) {
        if ( LiveJson.nestsDeeperThan(text, MAX_JSON_DEPTH) )
            return new Invalid(null, "too_deep", "Messages may nest arrays and objects at most " + MAX_JSON_DEPTH + " deep; this one nests deeper.");
        JsonValue parsed;
        try {
            parsed = JSON.parseAny(text);
        } catch (RuntimeException ex) {
            // Not only JsonException: Jena's parser throws NullPointerException on text that is blank or only a comment.
            return badRequest(null, "Messages are JSON objects; this one does not parse" + (ex instanceof JsonException ? ": " + ex.getMessage() : ""));
        }
        if ( !parsed.isObject() )
            return badRequest(null, "Messages are JSON objects, not " + ClientInput.quote(text));
        JsonObject msg = parsed.getAsObject();
        if ( msg.hasKey("subscribe") && msg.get("subscribe").isObject() )
            return subscribe(msg.get("subscribe").getAsObject());
        if ( msg.hasKey("unsubscribe") && msg.get("unsubscribe").isObject() )
            return new Unsubscribe(msg.get("unsubscribe").getAsObject().get("spuid"));
        return badRequest(null, "Unknown message: expected {\"subscribe\": {\"sparql\": ...}} or {\"unsubscribe\": {\"spuid\": ...}}");
    }

    private static Message subscribe(JsonObject request) {
        String alias = optionalString(request, "alias");
        if ( request.hasKey("alias") && alias == null )
            return badRequest(null, "\"alias\" must be a string, got " + ClientInput.quote(String.valueOf(request.get("alias"))));
        String sparql = optionalString(request, "sparql");
        if ( sparql == null || sparql.isBlank() )
            return badRequest(alias, "A subscribe message needs the query as a string in \"sparql\"");
        long since = request.hasKey("since") ? version(request.get("since")) : -1;
        if ( since < -1 )
            return badRequest(alias, "\"since\" must be a dataset version (a whole number, 0 or more), got "
                                     + ClientInput.quote(String.valueOf(request.get("since"))));
        long version = request.hasKey("version") ? version(request.get("version")) : -1;
        if ( version < -1 )
            return badRequest(alias, "\"version\" must be a dataset version (a whole number, 0 or more) to start as of, got "
                                     + ClientInput.quote(String.valueOf(request.get("version"))));
        String datetime = optionalString(request, "datetime");
        if ( request.hasKey("datetime") && datetime == null )
            return badRequest(alias, "\"datetime\" must be a string, an HTTP date such as \"Tue, 01 Dec 2026 10:00:00 GMT\", got "
                                     + ClientInput.quote(String.valueOf(request.get("datetime"))));
        if ( version >= 0 && datetime != null )
            return badRequest(alias, "Give either \"version\" or \"datetime\" to start as of, not both");
        if ( since >= 0 && (version >= 0 || datetime != null) )
            return badRequest(alias, "Give either \"since\" to resume, or \"version\" (or \"datetime\") to start as of a version, not both:"
                                     + " a client resuming has the answer up to its last notification already.");
        long minVersion = request.hasKey("minVersion") ? version(request.get("minVersion")) : -1;
        if ( minVersion < -1 )
            return badRequest(alias, "\"minVersion\" must be a dataset version (a whole number, 0 or more), as a write's X-CDC-Version names it; got "
                                     + ClientInput.quote(String.valueOf(request.get("minVersion"))));
        long maxWait = request.hasKey("maxWait") ? version(request.get("maxWait")) : -1;
        if ( maxWait < -1 )
            return badRequest(alias, "\"maxWait\" must be a number of milliseconds (0 or more), got " + ClientInput.quote(String.valueOf(request.get("maxWait"))));
        for ( String p : LiveRefusals.GRAPH_PARAMETERS ) {
            if ( request.hasKey(p) )
                return badRequest(alias, LiveRefusals.graphParameterRefused(p));
        }
        return new Subscribe(sparql, alias, since, version, datetime, minVersion, maxWait);
    }

    /** The subscription id an unsubscribe names, or null when it names none. */
    static Long spuid(Unsubscribe u) {
        JsonValue v = u.spuid();
        String id = v == null ? null : v.isString() ? v.getAsString().value() : v.isNumber() ? v.getAsNumber().value().toString() : null;
        try {
            return id == null ? null : Long.parseLong(id);
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private static Invalid badRequest(String alias, String description) {
        return new Invalid(alias, "bad_request", description);
    }

    /** A version (or other whole number 0 or more) given by the client, or -2 when it is not one. */
    private static long version(JsonValue v) {
        if ( !v.isNumber() )
            return -2;
        try {
            long n = new BigDecimal(v.getAsNumber().value().toString()).longValueExact();
            return n >= 0 ? n : -2;
        } catch (ArithmeticException | NumberFormatException ex) {
            return -2;
        }
    }

    private static String optionalString(JsonObject o, String key) {
        JsonValue v = o.get(key);
        return v != null && v.isString() ? v.getAsString().value() : null;
    }
}
