package org.fusekicdc.core.sink.internal;

import java.util.ArrayDeque;
import java.util.List;

import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a sink that allows several sends in flight ({@link Sink#maxInFlight()}): the next
 * patches are sent while earlier ones are being acknowledged, and the position moves as the
 * acknowledgements come back, in order.
 */
final class PipelinedDelivery {
    // The runner's logger: one name to configure for all that a sink's runner says.
    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);

    private final RunnerParts runner;
    // Where a permanent failure of a send is narrowed down to the patch at fault.
    private final SerialDelivery serial;

    PipelinedDelivery(RunnerParts runner, SerialDelivery serial) {
        this.runner = runner;
        this.serial = serial;
    }

    /** A send in flight: its log records, the sink's handle, when it was sent. */
    private record InFlight(List<LogRecord> records, Sink.Delivery delivery, long sentNanos) {
        long lastVersion() {
            return records.get(records.size() - 1).version();
        }
    }

    /**
     * Keep up to {@code window} sends in flight: each takes what is waiting in the log after the
     * last one sent (up to the sink's batch size), and the position moves as their
     * acknowledgements come back, in order. Returns when nothing is waiting or in flight, when
     * the runner is asked to pause or stop (after the sends in flight are acknowledged), or after
     * a failure (which has been handled).
     */
    void deliver(int window) throws InterruptedException {
        ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
        long sent = runner.position().version();
        int max = Math.max(1, runner.sink().maxBatch());
        while ( true ) {
            while ( inFlight.size() < window && !runner.control().interruptRequested() ) {
                List<LogRecord> group = runner.feed().readAfter(sent, max);
                if ( group == null )
                    return;
                if ( group.isEmpty() )
                    break;
                Sink.Delivery d;
                long t0 = System.nanoTime();
                try {
                    d = runner.sink().send(runner.feed().patches(group));
                } catch (SinkException ex) {
                    failed(group, ex);
                    return;
                }
                inFlight.add(new InFlight(group, d, t0));
                sent = group.get(group.size() - 1).version();
            }
            InFlight f = inFlight.poll();
            if ( f == null )
                return;
            try {
                f.delivery().await();
            } catch (SinkException ex) {
                failed(f.records(), ex);
                return;
            }
            long nanos = System.nanoTime() - f.sentNanos();
            f.records().forEach(r -> runner.outcomes().delivered(r, nanos));
            runner.position().moveTo(f.lastVersion());
            runner.outcomes().succeeded();
            runner.position().acknowledge(false);
        }
    }

    /**
     * A send failed: what is still in flight is abandoned. After a transient failure the sink is
     * closed and opened again, which says what the destination holds. A permanent failure of the
     * patch kind is narrowed down one patch at a time with the sink as it is (the destination
     * refused the patch, so it took nothing after it; a reopen could only add a failure of its
     * own, such as a limit lowered after the start).
     */
    private void failed(List<LogRecord> group, SinkException ex) throws InterruptedException {
        LogRecord first = group.get(0);
        LogRecord last = group.get(group.size() - 1);
        runner.outcomes().deliveryFailed(first.version(), ex);
        runner.position().acknowledge(true);
        if ( ex.permanent() && !ex.sinkWide() ) {
            serial.oneAtATimeThrough(last.version());
            LOG.warn("Dataset '{}': sink '{}' could not deliver versions {} to {} ({}); delivering them one at a time",
                     runner.dataset(), runner.sink().name(), first.version(), last.version(), ex.getMessage());
            return;
        }
        runner.outcomes().failed(ex, DeliveryOutcomes.which(first));
    }
}
