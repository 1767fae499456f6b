package org.fusekicdc.fuseki.live;

import java.util.List;

import org.fusekicdc.live.LiveQueryException;

/** How both transports answer a live query request that is refused: the HTTP status, the WebSocket error token. */
final class LiveRefusals {
    /**
     * Dataset parameters of the SPARQL protocol (and of SEPA's subscribe message): live queries
     * are evaluated on the whole dataset, so these are refused rather than ignored.
     */
    static final List<String> GRAPH_PARAMETERS = List.of("default-graph-uri", "named-graph-uri");

    private LiveRefusals() {}

    static int status(LiveQueryException.Kind kind) {
        return switch (kind) {
            case BAD_QUERY -> 400;
            case TOO_MANY_FOR_CLIENT -> 429;
            case TOO_MANY, BUSY -> 503;
            case TOO_EXPENSIVE -> 422;
        };
    }

    static String token(LiveQueryException.Kind kind) {
        return switch (kind) {
            case BAD_QUERY -> "bad_query";
            case TOO_MANY_FOR_CLIENT -> "too_many_for_client";
            case TOO_MANY -> "too_many";
            case BUSY -> "busy";
            case TOO_EXPENSIVE -> "too_expensive";
        };
    }

    static String graphParameterRefused(String parameter) {
        return "'" + parameter + "' is not supported on live queries: they are evaluated on the whole dataset."
               + " Name graphs in the query instead (GRAPH <name> { ... }).";
    }
}
