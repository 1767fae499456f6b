package org.fusekicdc.streams.query;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

import org.apache.jena.atlas.json.JSON;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.StepMessages;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepJson;

/**
 * A step as a record of the output topic, in the in-server sinks' {@code cdc:format "step"}:
 * the step's JSON ({@link StepJson}) with the {@link PatchMessages} and {@link StepMessages}
 * headers. {@code cdc-version} is the step's position among the query's steps on this dataset
 * (1, 2, ...), {@code cdc-id} a name-based UUID of dataset, query and step number, so a
 * consumer can deduplicate on it, and {@code cdc-prev} the previous step's id.
 */
final class StepRecords {
    private StepRecords() {}

    /** The id of a step: the same for the same dataset, query and step number, whichever instance computed it. */
    static UUID id(String dataset, String query, long number) {
        return UUID.nameUUIDFromBytes((dataset + "\u0000" + query + "\u0000" + number).getBytes(StandardCharsets.UTF_8));
    }

    static byte[] body(Step step) {
        return JSON.toStringFlat(StepJson.of(step)).getBytes(StandardCharsets.UTF_8);
    }

    static Headers headers(String dataset, Step step, long position, UUID id, UUID prev, Instant time) {
        RecordHeaders h = new RecordHeaders();
        add(h, PatchMessages.CONTENT_TYPE, StepMessages.CONTENT_TYPE);
        add(h, PatchMessages.ID, id.toString());
        if ( prev != null )
            add(h, PatchMessages.PREV, prev.toString());
        add(h, PatchMessages.VERSION, Long.toString(position));
        add(h, PatchMessages.DATASET, dataset);
        add(h, PatchMessages.TIMESTAMP, time.toString());
        add(h, StepMessages.QUERY, step.query());
        add(h, StepMessages.STEP, Long.toString(step.number()));
        add(h, StepMessages.EVALUATED_VERSION, Long.toString(step.version()));
        add(h, StepMessages.WINDOW_START, step.windowStart().toString());
        add(h, StepMessages.WINDOW_END, step.windowEnd().toString());
        add(h, PatchMessages.PART, "0");
        add(h, PatchMessages.PARTS, "1");
        return h;
    }

    private static void add(Headers h, String name, String value) {
        h.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
