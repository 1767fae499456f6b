package org.fusekicdc.core.sink.internal;

import java.util.function.Consumer;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a sink runner does with the outcome of a delivery: the destination holds the patch, a
 * transient failure is waited out with backoff, a permanent one pauses the sink or dead-letters
 * the patch, a fenced sink stops the dataset taking writes. Runs on the runner's thread.
 */
final class DeliveryOutcomes {
    // The runner's logger: one name to configure for all that a sink's runner says.
    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);

    private final ChangeLog log;
    private final String sinkName;
    private final RunnerControl control;
    private final DestinationWatch destination;
    private final DeliveredPosition position;
    private final Backoff backoff;
    private final DeadLetters deadLetters;
    // Closes the sink before a backoff or a pause, so that the next open looks at the destination again.
    private final Runnable closeSink;
    private volatile Consumer<String> onFenced = reason -> {};

    DeliveryOutcomes(ChangeLog log, String sinkName, SinkConfig config, RunnerControl control, DestinationWatch destination,
                     DeliveredPosition position, Runnable closeSink) {
        this.log = log;
        this.sinkName = sinkName;
        this.control = control;
        this.destination = destination;
        this.position = position;
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        this.deadLetters = config.deadLetterDir() == null ? null : new DeadLetters(config.deadLetterDir(), log.dataset(), sinkName);
        this.closeSink = closeSink;
    }

    void onFenced(Consumer<String> listener) {
        this.onFenced = listener;
    }

    /** {@code which}: the version and patch that failed, or what else failed ("opening the destination"). */
    static String which(LogRecord r) {
        return "version " + r.version() + " (patch " + r.meta().id() + ")";
    }

    void delivered(LogRecord r, long nanos) {
        destination.holds(r.version());
        log.observer().delivered(sinkName, r.version(), nanos);
        if ( LOG.isDebugEnabled() )
            LOG.debug("Dataset '{}': sink '{}' delivered version {} (patch {}) in {} ms", log.dataset(), sinkName, r.version(),
                      r.meta().id(), nanos / 1_000_000.0);
    }

    /** A delivery starting at {@code version} failed: counted, before it is handled. */
    void deliveryFailed(long version, SinkException ex) {
        log.observer().deliveryFailed(sinkName, version, ex.permanent());
    }

    void succeeded() {
        backoff.reset();
        if ( control.recovered() )
            LOG.info("Dataset '{}': sink '{}' recovered; delivering after version {}", log.dataset(), sinkName, position.version());
    }

    void failed(SinkException ex, String which) throws InterruptedException {
        closeSink.run();
        if ( ex.fenced() ) {
            fence(ex.getMessage());
            return;
        }
        if ( ex.permanent() ) {
            pauseWith(which + " cannot be delivered: " + ex.getMessage()
                      + (ex.sinkWide() ? ". Fix the cause and resume the sink."
                                       : ". Fix the cause and resume the sink, or configure a dead-letter directory for such patches."));
            return;
        }
        String msg = which + ": " + ex.getMessage();
        control.set(SinkState.RETRYING, msg);
        long jittered = backoff.nextMillis();
        LOG.warn("Dataset '{}': sink '{}' failed: {}; retrying in {} ms", log.dataset(), sinkName, msg, jittered);
        control.waitOut(jittered);
    }

    /** Another server leads the dataset now: stop delivering for good (until a resume) and say so. */
    void fence(String reason) {
        String message = "Dataset '" + log.dataset() + "' is fenced: sink '" + sinkName + "' found that " + reason
                         + ". This server no longer publishes or takes writes; rejoin it as a follower (docs/replicas.md, Failover).";
        destination.fenced(message);
        pauseWith(message);
        onFenced.accept(message);
    }

    void pauseWith(String message) {
        LOG.error("Dataset '{}': sink '{}' paused: {}", log.dataset(), sinkName, message);
        control.pauseWith(message);
    }

    /** Whether a patch that can never be delivered goes to the dead-letter directory (rather than pausing the sink). */
    boolean canDeadLetter() {
        return deadLetters != null;
    }

    void deadLetter(LogRecord r, SinkException ex) {
        deadLetters.write(r, ex);
        control.deadLettered("version " + r.version() + " sent to the dead-letter directory: " + ex.getMessage());
        LOG.error("Dataset '{}': sink '{}' could not deliver version {} (patch {}): {}; written to {}", log.dataset(), sinkName, r.version(),
                  r.meta().id(), ex.getMessage(), deadLetters.dir());
    }
}
