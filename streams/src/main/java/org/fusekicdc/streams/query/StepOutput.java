package org.fusekicdc.streams.query;

import java.time.Instant;
import java.util.UUID;

import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.fusekicdc.rsp.Step;

/**
 * Steps as records of the step topic, each once: per dataset and query the last step handed
 * on, its position among the query's steps and its id are kept in a progress store (key
 * {@code dataset NUL query}), so a step at or before the last one (a replayed step) gives no record.
 */
final class StepOutput {
    private final KeyValueStore<String, String> progress;

    StepOutput(KeyValueStore<String, String> progress) {
        this.progress = progress;
    }

    /** The step's record, or null when it was handed on before; the progress records it as handed on. */
    Record<String, byte[]> record(String dataset, Step step, long timestamp) {
        String key = dataset + "\u0000" + step.query();
        String last = progress.get(key);
        long lastStep = Long.MIN_VALUE;
        long position = 0;
        UUID prev = null;
        if ( last != null ) {
            String[] f = last.split(" ");
            lastStep = Long.parseLong(f[0]);
            position = Long.parseLong(f[1]);
            prev = UUID.fromString(f[2]);
        }
        if ( step.number() <= lastStep )
            return null;
        UUID id = StepRecords.id(dataset, step.query(), step.number());
        position++;
        progress.put(key, step.number() + " " + position + " " + id);
        return new Record<>(step.query(), StepRecords.body(step), timestamp,
                            StepRecords.headers(dataset, step, position, id, prev, Instant.ofEpochMilli(timestamp)));
    }

    /** The number of the last step handed on for the dataset's query, Long.MIN_VALUE for none. */
    long lastStep(String dataset, String query) {
        String last = progress.get(dataset + "\u0000" + query);
        return last == null ? Long.MIN_VALUE : Long.parseLong(last.substring(0, last.indexOf(' ')));
    }
}
