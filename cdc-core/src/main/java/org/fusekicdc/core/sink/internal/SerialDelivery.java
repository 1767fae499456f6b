package org.fusekicdc.core.sink.internal;

import java.util.List;

import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers with one send at a time: patch by patch, or in groups of up to {@link Sink#maxBatch()}
 * with {@link Sink#deliver(List)}. A failure stops the batch; a permanent failure for a reason of
 * the patches is narrowed down one patch at a time, so that only the patch at fault is
 * dead-lettered (or pauses the sink).
 */
final class SerialDelivery {
    // The runner's logger: one name to configure for all that a sink's runner says.
    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);

    private final RunnerParts runner;
    // After a permanent failure of a pipelined send: deliver up to this version one patch at a
    // time, so that only the patch at fault is dead-lettered or pauses the sink.
    private long oneAtATimeThrough;

    SerialDelivery(RunnerParts runner) {
        this.runner = runner;
    }

    /** Deliver the patches up to {@code version} one at a time before anything else. */
    void oneAtATimeThrough(long version) {
        oneAtATimeThrough = version;
    }

    /** Whether patches wait to be delivered one at a time ({@link #oneAtATimeThrough}). */
    boolean narrowing() {
        return runner.position().version() < oneAtATimeThrough;
    }

    /** Deliver the batch's patches up to {@link #oneAtATimeThrough} one at a time, the rest being left for later. */
    void deliverNarrowing(List<LogRecord> batch) throws InterruptedException {
        deliverEach(batch, oneAtATimeThrough);
    }

    /** Deliver the batch, in groups when the sink takes several patches per call. */
    void deliver(List<LogRecord> batch) throws InterruptedException {
        if ( runner.sink().maxBatch() > 1 )
            deliverGrouped(batch, runner.sink().maxBatch());
        else
            deliverEach(batch, Long.MAX_VALUE);
    }

    private void deliverEach(List<LogRecord> batch, long through) throws InterruptedException {
        for ( LogRecord r : batch ) {
            if ( r.version() > through || runner.control().interruptRequested() || !deliverOne(r) )
                break;
        }
    }

    /**
     * Deliver in groups of up to {@code max} patches with {@link Sink#deliver(List)}. A group
     * that fails permanently, for a reason of its patches, is delivered again one patch at a
     * time, so that only the patch at fault is dead-lettered (or pauses the sink).
     */
    private void deliverGrouped(List<LogRecord> batch, int max) throws InterruptedException {
        for ( int from = 0 ; from < batch.size() ; from += max ) {
            if ( runner.control().interruptRequested() )
                return;
            List<LogRecord> group = batch.subList(from, Math.min(batch.size(), from + max));
            try {
                long t0 = System.nanoTime();
                runner.sink().deliver(runner.feed().patches(group));
                long nanos = System.nanoTime() - t0;
                group.forEach(r -> runner.outcomes().delivered(r, nanos));
                runner.position().moveTo(group.get(group.size() - 1).version());
                runner.outcomes().succeeded();
                continue;
            } catch (SinkException ex) {
                runner.outcomes().deliveryFailed(group.get(0).version(), ex);
                boolean patchFault = ex.permanent() && !ex.sinkWide();
                if ( patchFault && group.size() == 1 && runner.outcomes().canDeadLetter() ) {
                    runner.outcomes().deadLetter(group.get(0), ex);
                    runner.position().moveTo(group.get(0).version());
                    continue;
                }
                if ( !patchFault || group.size() == 1 ) {
                    runner.position().acknowledge(true);
                    runner.outcomes().failed(ex, DeliveryOutcomes.which(group.get(0)));
                    return;
                }
                LOG.warn("Dataset '{}': sink '{}' could not deliver versions {} to {} together ({}); delivering them one at a time",
                         runner.dataset(), runner.sink().name(), group.get(0).version(), group.get(group.size() - 1).version(), ex.getMessage());
            }
            for ( LogRecord r : group ) {
                if ( runner.control().interruptRequested() || !deliverOne(r) )
                    return;
            }
        }
    }

    /**
     * Deliver one patch, or dead-letter it when it can never be delivered and there is a
     * dead-letter directory. False when the sink failed: the caller stops, the backoff (or the
     * pause) has been taken.
     */
    private boolean deliverOne(LogRecord r) throws InterruptedException {
        try {
            long t0 = System.nanoTime();
            runner.sink().deliver(runner.feed().patch(r));
            runner.outcomes().delivered(r, System.nanoTime() - t0);
            runner.position().moveTo(r.version());
            runner.outcomes().succeeded();
            return true;
        } catch (SinkException ex) {
            runner.outcomes().deliveryFailed(r.version(), ex);
            if ( ex.permanent() && !ex.sinkWide() && runner.outcomes().canDeadLetter() ) {
                runner.outcomes().deadLetter(r, ex);
                runner.position().moveTo(r.version());
                return true;
            }
            // Acknowledge what was delivered before waiting out the backoff (or pausing),
            // so the cursor and the status are not left behind meanwhile.
            runner.position().acknowledge(true);
            runner.outcomes().failed(ex, DeliveryOutcomes.which(r));
            return false;
        }
    }
}
