package org.fusekicdc.core.wire;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.rdfpatch.RDFChanges;

/**
 * The message format of a continuous query's sinks ({@code cdc:format "step"}, their only
 * format): one message per step, its body the step's JSON as logged in the query's step log
 * (the same as the Server-Sent Event {@code step}), {@code application/json}, with headers
 * naming the query, the step, the dataset version it was evaluated at and the window, beside
 * the {@link PatchMessages} headers, where {@code cdc-version} and {@code cdc-id} are the step's
 * position and id in the step log (what sinks resume from, and consumers deduplicate on).
 */
public final class StepMessages implements MessageFormat {
    /** The {@code cdc:format} value. */
    public static final String NAME = "step";
    public static final String CONTENT_TYPE = "application/json";
    /** The continuous query's name. */
    public static final String QUERY = "cdc-query";
    /** The step number (for time windows the window's end divided by its STEP). */
    public static final String STEP = "cdc-step";
    /** The dataset version the step was evaluated at. */
    public static final String EVALUATED_VERSION = "cdc-evaluated-version";
    /** The (first) window's start, ISO 8601, inclusive. */
    public static final String WINDOW_START = "cdc-window-start";
    /** The (first) window's end, ISO 8601, exclusive. */
    public static final String WINDOW_END = "cdc-window-end";

    public static final StepMessages FORMAT = new StepMessages();

    private StepMessages() {}

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String contentType() {
        return CONTENT_TYPE;
    }

    @Override
    public boolean isLogText() {
        return true;
    }

    /** The step's JSON as logged; a step has no graphs to filter. */
    @Override
    public void write(PatchRecord step, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
        try (InputStream in = step.openText()) {
            in.transferTo(out);
        }
    }

    @Override
    public <E extends Exception> void messages(PatchRecord step, Map<String, String> extraHeaders, int maxBytes, Path tmpDir,
                                               PatchMessages.PartConsumer<E> consumer) throws IOException, E {
        Map<String, String> headers = new LinkedHashMap<>(formatHeaders(step));
        headers.putAll(extraHeaders);
        PatchMessages.parts(step, this, headers, maxBytes, tmpDir, consumer);
    }

    /** The step headers of a step log record, read from its JSON. */
    @Override
    public Map<String, String> formatHeaders(PatchRecord step) throws IOException {
        JsonObject json;
        try (InputStream in = step.openText()) {
            json = JSON.parse(in);
        } catch (RuntimeException ex) {
            throw new IOException("Record " + step.version() + " of " + step.dataset() + " is not a continuous query's step (" + ex.getMessage()
                                  + "): cdc:format \"step\" is for the sinks of a cdc:continuousQuery only", ex);
        }
        Map<String, String> h = new LinkedHashMap<>();
        h.put(QUERY, text(json, "query", step));
        h.put(STEP, text(json, "step", step));
        h.put(EVALUATED_VERSION, text(json, "version", step));
        h.put(WINDOW_START, text(json, "windowStart", step));
        h.put(WINDOW_END, text(json, "windowEnd", step));
        return h;
    }

    private static String text(JsonObject json, String field, PatchRecord step) throws IOException {
        JsonValue v = json.get(field);
        if ( v == null )
            throw new IOException("Record " + step.version() + " of " + step.dataset() + " has no \"" + field + "\": not a continuous query's step");
        return v.isNumber() ? v.getAsNumber().value().toString() : v.getAsString().value();
    }
}
