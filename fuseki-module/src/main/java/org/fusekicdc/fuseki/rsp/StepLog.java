package org.fusekicdc.fuseki.rsp;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.rsp.StepJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable steps of one continuous query that has sinks: a change log of its own (in
 * {@code <logDirectory>/rsp/<query>/steps}) whose records are the steps' JSON ({@link StepJson}),
 * one record per step. The query's sinks read it with the ordinary {@code SinkRunner}, each with
 * its cursor, exactly as a dataset's sinks read its change log: what a sink has delivered, and
 * where it resumes, is the runner's business; this log only guarantees that every step is in it
 * once, in step order.
 * <p>
 * Steps are handed over ({@link #offer}, {@link #offerNow}) and written as JSON and appended,
 * each forced to disk before it is published to the sinks, on a thread of the log's own, so that
 * the thread evaluating the queries neither writes the JSON nor waits for the disk (at most
 * {@value #MAX_QUEUED} steps wait, then it does, or {@link #offerNow} declines). A
 * step is taken only when its number is above the last one the log holds or was handed, so the
 * steps a query replays after a restart or a crash are not appended again; a step handed over
 * but not yet appended when the server dies is not in the log, so the replay makes it again.
 */
final class StepLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StepLog.class);
    static final int MAX_QUEUED = 100;
    private static final long POLL_MILLIS = 100;

    private record Pending(long step, Supplier<JsonObject> json) {}

    private final ChangeLog log;
    private final LogWriter writer;
    private final BlockingQueue<Pending> queue = new ArrayBlockingQueue<>(MAX_QUEUED);
    private final Thread thread;
    /** The last step appended (durable); written by this log's thread only. */
    private volatile long lastStep;
    /** The last step handed over; written by the thread delivering the query's steps only. */
    private volatile long lastOffered;
    private volatile RuntimeException failure;
    private volatile boolean closing;

    private StepLog(ChangeLog log) {
        this.log = log;
        this.writer = LogWriter.claim(log);
        this.lastStep = log.headVersion() == 0 ? 0 : StepJson.stepOf(read(log.read(log.headVersion())));
        this.lastOffered = lastStep;
        this.thread = Thread.ofPlatform().daemon().name("cdc-rsp-steps-" + log.dataset()).start(this::run);
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

    /** The number of the last step held (durable); 0 for none. */
    long lastStep() {
        return lastStep;
    }

    /**
     * Hand a step over to be appended, unless the log holds it or was handed it already; true
     * when handed over. Waits while {@value #MAX_QUEUED} steps wait for the disk.
     *
     * @throws ChangeLogException when an earlier step could not be appended (the cause, and the fix)
     */
    boolean offer(long step, Supplier<JsonObject> json) {
        if ( step <= lastOffered )
            return false;
        Pending p = new Pending(step, json);
        boolean queued;
        try {
            while ( !(queued = queue.offer(p, POLL_MILLIS, TimeUnit.MILLISECONDS)) ) {
                if ( failure != null || closing )
                    break;
            }
        } catch (InterruptedException ex) {
            // Not in the log: made again by the replay after the restart.
            Thread.currentThread().interrupt();
            return false;
        }
        failIfStopped();
        if ( !queued )
            return false;   // closing: made again by the replay at the next start
        lastOffered = step;
        return true;
    }

    /**
     * As {@link #offer}, without waiting: false when {@value #MAX_QUEUED} steps wait for the disk
     * (nothing was handed over: offer the step again later, before any later step); true when
     * the step was handed over or the log holds it already.
     *
     * @throws ChangeLogException when an earlier step could not be appended
     */
    boolean offerNow(long step, Supplier<JsonObject> json) {
        if ( step <= lastOffered )
            return true;
        failIfStopped();
        if ( !queue.offer(new Pending(step, json)) )
            return false;
        lastOffered = step;
        return true;
    }

    private void failIfStopped() {
        if ( failure != null )
            throw new ChangeLogException("The step log " + log.config().directory() + " of continuous query " + log.dataset() + " stopped at step "
                                         + lastStep + ": " + failure.getMessage() + ". Fix the cause (e.g. free disk space) and restart the server:"
                                         + " the query resumes after the last step its log holds.", failure);
    }

    private void run() {
        try {
            while ( !closing || !queue.isEmpty() ) {
                Pending p = queue.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if ( p != null )
                    append(p);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            failure = ex;
            LOG.error("Dataset '{}': cannot append the step after step {} to the step log {}: {}. The query's sinks get no further steps;"
                      + " it resumes after step {}, the last its log holds, when the server restarts with the cause fixed.", log.dataset(), lastStep,
                      log.config().directory(), ex.toString(), lastStep, ex);
        }
    }

    private void append(Pending p) {
        byte[] bytes = JSON.toStringFlat(p.json().get()).getBytes(StandardCharsets.UTF_8);
        RecordMeta meta = writer.append((m, out) -> out.write(bytes));
        writer.publish(meta.version());
        lastStep = p.step();
    }

    private static JsonObject read(LogRecord r) {
        return JSON.parse(new String(r.payloadBytes(), StandardCharsets.UTF_8));
    }

    /** Append the steps handed over (waiting up to 10 s for the disk), then close the log. */
    @Override
    public void close() {
        closing = true;
        try {
            thread.join(10_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        if ( thread.isAlive() )
            LOG.warn("Dataset '{}': the step log {} did not take its last {} steps within 10 s; they are made again by the replay at the next start",
                     log.dataset(), log.config().directory(), queue.size());
        log.close();
    }
}
