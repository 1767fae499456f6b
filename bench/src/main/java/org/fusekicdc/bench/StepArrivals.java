package org.fusekicdc.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;

/**
 * The steps of a continuous query as one client received them: for each step number, when it
 * arrived, the end of its window, and its answer in a form that compares equal across clients.
 * <p>
 * Latency of a step: arrival ({@link Instant#now()} in this JVM, microseconds) minus the end of
 * its window (the step's {@code windowEnd}, an instant on the server's engine clock, which is
 * the change log's clock: this machine's UTC system clock, milliseconds). Both JVMs read the
 * same system clock.
 */
final class StepArrivals {
    /** One step as received; {@code loggedMillis} is when the server logged it for its sinks, or -1. */
    record Arrival(long step, long windowEndMillis, long arrivedMicros, long loggedMillis, String answer) {
        double latencyMillis() {
            return (arrivedMicros - windowEndMillis * 1000) / 1000.0;
        }
    }

    final String client;
    private final Map<Long, Arrival> arrivals = new ConcurrentHashMap<>();
    private volatile String failure;

    StepArrivals(String client) {
        this.client = client;
    }

    static long nowMicros() {
        Instant now = Instant.now();
        return now.getEpochSecond() * 1_000_000 + now.getNano() / 1000;
    }

    /** A step's JSON (the SSE {@code step} event's data, or a sink message's body) received at {@code arrivedMicros}. */
    void received(String json, long arrivedMicros, long loggedMillis) {
        JsonObject o = JSON.parse(json);
        long step = o.get("step").getAsNumber().value().longValue();
        long end = Instant.parse(o.get("windowEnd").getAsString().value()).toEpochMilli();
        arrivals.putIfAbsent(step, new Arrival(step, end, arrivedMicros, loggedMillis, answer(o.get("results").getAsObject())));
    }

    void failed(String message) {
        failure = message;
    }

    String failure() {
        return failure;
    }

    int size() {
        return arrivals.size();
    }

    Arrival get(long step) {
        return arrivals.get(step);
    }

    /** The arrivals of the steps {@code first..last}, in step order (missing ones left out). */
    List<Arrival> between(long first, long last) {
        List<Arrival> out = new ArrayList<>();
        for ( long s = first; s <= last; s++ ) {
            Arrival a = arrivals.get(s);
            if ( a != null )
                out.add(a);
        }
        return out;
    }

    /** The rows of a SPARQL JSON results document, each as text, sorted: equal answers compare equal whatever the row order. */
    static String answer(JsonObject results) {
        JsonArray bindings = results.get("results").getAsObject().get("bindings").getAsArray();
        List<String> rows = new ArrayList<>(bindings.size());
        for ( JsonValue b : bindings ) {
            JsonObject row = b.getAsObject();
            List<String> cells = new ArrayList<>();
            for ( String var : row.keys() ) {
                JsonObject term = row.get(var).getAsObject();
                cells.add(var + "=" + term.get("value").getAsString().value());
            }
            cells.sort(null);
            rows.add(String.join(",", cells));
        }
        rows.sort(null);
        return String.join(";", rows);
    }

    /** Sorted latencies in milliseconds. */
    static double[] latencies(List<Arrival> arrivals) {
        double[] out = arrivals.stream().mapToDouble(Arrival::latencyMillis).toArray();
        Arrays.sort(out);
        return out;
    }
}
