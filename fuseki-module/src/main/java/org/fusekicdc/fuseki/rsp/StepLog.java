package org.fusekicdc.fuseki.rsp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.rsp.StepJson;

/**
 * The durable steps of one continuous query that has sinks: a change log of its own (in
 * {@code <logDirectory>/rsp/<query>/steps}) whose records are the steps' JSON ({@link StepJson}),
 * one record per step. The query's sinks read it with the ordinary {@code SinkRunner}, each with
 * its cursor, exactly as a dataset's sinks read its change log: what a sink has delivered, and
 * where it resumes, is the runner's business; this log only guarantees that every step is in it
 * once, in step order.
 * <p>
 * A step is appended (and forced to disk) only when its number is above the last one the log
 * holds, so the steps a query replays after a restart or a crash are not appended again.
 */
final class StepLog implements AutoCloseable {
    private final ChangeLog log;
    private final LogWriter writer;
    private long lastStep;

    private StepLog(ChangeLog log) {
        this.log = log;
        this.writer = LogWriter.claim(log);
        this.lastStep = log.headVersion() == 0 ? 0 : StepJson.stepOf(read(log.read(log.headVersion())));
    }

    /**
     * Open (creating if needed) the step log of query {@code query} of {@code dataset}, in
     * {@code <queryDirectory>/steps}; its name, {@code <dataset>.<query>}, is the sinks' dataset.
     */
    static StepLog open(Path queryDirectory, String dataset, String query, boolean fsync) {
        return new StepLog(ChangeLog.open(ChangeLogConfig.defaults(queryDirectory.resolve("steps"), dataset + "." + query).withFsync(fsync)));
    }

    ChangeLog log() {
        return log;
    }

    /** The number of the last step held; 0 for none. */
    synchronized long lastStep() {
        return lastStep;
    }

    /** Append a step unless the log holds it already; true when appended. */
    synchronized boolean append(long step, JsonObject json) {
        if ( step <= lastStep )
            return false;
        byte[] bytes = JSON.toStringFlat(json).getBytes(StandardCharsets.UTF_8);
        RecordMeta meta = writer.append((m, out) -> out.write(bytes));
        writer.publish(meta.version());
        lastStep = step;
        return true;
    }

    private static JsonObject read(LogRecord r) {
        return JSON.parse(new String(r.payloadBytes(), StandardCharsets.UTF_8));
    }

    @Override
    public void close() {
        log.close();
    }
}
