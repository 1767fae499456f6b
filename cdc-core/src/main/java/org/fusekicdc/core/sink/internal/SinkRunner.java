package org.fusekicdc.core.sink.internal;

import java.time.InstantSource;
import java.util.List;
import java.util.function.Consumer;

import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.ReaderCursor;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds one sink from the change log, in version order, on its own thread.
 * <p>
 * The runner reads the log after the sink's durable cursor ({@code sink.<name>} reader of the
 * log, so retention keeps what the sink has not delivered), delivers each patch, and
 * acknowledges the cursor after each batch. A transient failure closes the sink, waits an
 * exponential backoff with jitter, and opens it again, which re-reads what the destination
 * holds: nothing is delivered twice or skipped. A permanent failure pauses the sink with the
 * version and cause, or, if one is configured and the failure is the patch's rather than the
 * sink's as a whole ({@link SinkException#sinkWide()}), sends the patch to the dead-letter directory.
 * <p>
 * A sink that allows several sends in flight ({@link Sink#maxInFlight()}) is fed a pipeline:
 * the runner sends the next patches (as many as are waiting, up to {@link Sink#maxBatch()} per
 * send) while earlier ones are being acknowledged, and moves its position as the
 * acknowledgements come back, in order. On a failure it abandons what is in flight; a transient
 * one closes the sink and opens it again, which says what the destination holds; a patch the
 * destination refused for good is looked for one patch at a time, as without a pipeline.
 * Sinks are independent: a stuck sink holds up neither capture, nor writers, nor other sinks,
 * except writers that asked to be acknowledged only once the destination holds their patch
 * ({@link SinkConfig.Acknowledge#DESTINATION}), who wait for it ({@link #awaitDestination}).
 * <p>
 * Fencing: when the sink finds that another server publishes to the destination as the
 * dataset's leader ({@link SinkException#fenced}), the runner pauses and tells its
 * {@link #onFenced fenced listener}, which stops the dataset taking writes.
 */
public final class SinkRunner implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkRunner.class);
    private static final int BATCH = 100;
    private static final long IDLE_WAIT_MILLIS = 1000;

    private final ChangeLog log;
    private final Sink sink;
    private final SinkConfig config;
    private final ReaderCursor cursor;
    private final InstantSource clock;
    private final RunnerControl control;
    private final DestinationWatch destination = new DestinationWatch();
    private final DeliveredPosition position;
    private final DeliveryOutcomes outcomes;
    private final SinkFeed feed;
    private final SerialDelivery serial;
    private final PipelinedDelivery pipelined;
    private final Thread thread;
    private boolean started;

    // Only touched by the runner thread.
    private boolean open;
    // Sends the sink allows in flight (asked at each open).
    private int window = 1;

    /** A runner whose patches carry no as-of source: a sink of this log cannot use entity documents. */
    public SinkRunner(ChangeLog log, Sink sink, SinkConfig config) {
        this(log, null, sink, config);
    }

    /**
     * @param asOf the dataset whose log this is, for formats that read it as of each patch's
     *             version (entity documents); null when the log is not a captured dataset's
     * @throws IllegalArgumentException if {@code asOf} is another dataset than the log's
     */
    public SinkRunner(ChangeLog log, AsOfSource asOf, Sink sink, SinkConfig config) {
        if ( asOf != null && asOf.dataset().changeLog() != log )
            throw new IllegalArgumentException("Sink '" + sink.name() + "': the as-of source is dataset '" + asOf.dataset().datasetName()
                                               + "', whose change log is not this one (dataset '" + log.dataset() + "'); pass the dataset this log captures");
        this.log = log;
        this.sink = sink;
        this.config = config;
        this.cursor = log.reader(cursorName(sink.name()));
        this.clock = log.config().clock();
        this.position = new DeliveredPosition(cursor, "Dataset '" + log.dataset() + "': sink '" + sink.name() + "' cursor");
        this.control = new RunnerControl(log.dataset(), sink.name(), clock);
        this.outcomes = new DeliveryOutcomes(log, sink.name(), config, control, destination, position, this::closeSink);
        this.feed = new SinkFeed(log, asOf, outcomes);
        RunnerParts parts = new RunnerParts(log.dataset(), sink, feed, control, position, outcomes);
        this.serial = new SerialDelivery(parts);
        this.pipelined = new PipelinedDelivery(parts, serial);
        this.thread = Thread.ofPlatform().daemon().name("cdc-sink-" + log.dataset() + "-" + sink.name()).unstarted(this::run);
    }

    /** The change log reader name of a sink. */
    public static String cursorName(String sinkName) {
        return "sink." + sinkName;
    }

    public String name() {
        return sink.name();
    }

    /** Start delivering; a runner already started is left alone. */
    public synchronized void start() {
        if ( started )
            return;
        started = true;
        control.started();
        thread.start();
    }

    public synchronized boolean isStarted() {
        return started;
    }

    /** Who to tell, with the reason, when the sink finds another leader publishing to its destination. */
    public void onFenced(Consumer<String> listener) {
        outcomes.onFenced(listener);
    }

    /** Why the sink was fenced, or null while it was not. */
    public String fencedBecause() {
        return destination.fencedBecause();
    }

    /**
     * Wait until the destination holds {@code version} (the sink delivered it, or found it there
     * when it opened), at most {@code timeoutMillis}. False on time-out, or at once when the sink
     * has been fenced.
     */
    public boolean awaitDestination(long version, long timeoutMillis) throws InterruptedException {
        return destination.await(version, timeoutMillis);
    }

    /** The highest version the destination is known to hold, as far as this runner has seen. */
    public long destinationVersion() {
        return destination.version();
    }

    /** Stop delivering after the current patch; the cursor keeps the position. */
    public void pause() {
        control.requestPause();
        LOG.info("Dataset '{}': sink '{}' pause requested", log.dataset(), sink.name());
    }

    /** Deliver again after a pause (also after a permanent error: the failed patch is tried again). */
    public void resume() {
        control.resume();
        LOG.info("Dataset '{}': sink '{}' resumed", log.dataset(), sink.name());
    }

    /**
     * Deliver again from the version after {@code version} (replay). The destination may
     * then hold those patches twice; its consumers can drop them by version.
     */
    public void rewind(long version) {
        if ( version < 0 || version > log.publishedVersion() )
            throw new IllegalArgumentException("Sink '" + sink.name() + "': rewind to " + version + " is outside 0.." + log.publishedVersion());
        control.requestRewind(version);
        LOG.info("Dataset '{}': sink '{}' rewind to version {} requested", log.dataset(), sink.name(), version);
    }

    /** True when the sink is further behind than its bound and its policy is to refuse writes. */
    public boolean refusesWrites() {
        return config.lagPolicy() == SinkConfig.LagPolicy.REFUSE && log.publishedVersion() - position.acknowledged() > config.maxLagVersions();
    }

    public SinkConfig config() {
        return config;
    }

    public SinkStatus status() {
        long acked = position.acknowledged();
        long published = log.publishedVersion();
        double lagSeconds = 0;
        if ( published > acked ) {
            try {
                long ts = log.read(acked + 1).meta().timestamp();
                lagSeconds = Math.max(0, (clock.millis() - ts) / 1000.0);
            } catch (VersionGoneException | DamagedRecordException ex) {
                lagSeconds = Double.NaN;
            }
        }
        return control.status(acked, Math.max(0, published - acked), lagSeconds);
    }

    private void run() {
        LOG.info("Dataset '{}': sink '{}' starting after version {}", log.dataset(), sink.name(), position.version());
        try {
            while ( true ) {
                if ( !control.awaitRunnable(this::rewound, position::version) )
                    return;
                if ( log.isClosed() ) {
                    // Nothing more will come, and waiting on a closed log returns at once: this loop would spin.
                    LOG.info("Dataset '{}': sink '{}' stops: the change log is closed (delivered up to version {})", log.dataset(), sink.name(),
                             position.version());
                    return;
                }
                if ( !open && !openSink() )
                    continue;
                deliverBatch();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            LOG.error("Dataset '{}': sink '{}' stopped by an unexpected error at version {}: {}", log.dataset(), sink.name(), position.version() + 1,
                      ex.toString(), ex);
            control.set(SinkState.FAILED, ex.toString());
        } finally {
            position.acknowledge(true);
            position.close();
            closeSink();
        }
    }

    /** Deliver again after {@code version}, as an admin asked. */
    private void rewound(long version) {
        position.rewind(version);
        LOG.info("Dataset '{}': sink '{}' rewound: delivering again after version {}", log.dataset(), sink.name(), version);
    }

    private boolean openSink() throws InterruptedException {
        long there;
        try {
            there = sink.open(new LogPatchIds(log));
        } catch (SinkException ex) {
            outcomes.failed(ex, "opening the destination" + next());
            return false;
        }
        open = true;
        window = Math.max(1, sink.maxInFlight());
        position.destinationKnowsPosition(there != Sink.UNKNOWN);
        if ( there != Sink.UNKNOWN && there != position.version() ) {
            if ( there > log.publishedVersion() ) {
                // Closed, so that a resume opens it again and looks at the destination again.
                closeSink();
                if ( config.acknowledgeWrites() == SinkConfig.Acknowledge.DESTINATION ) {
                    outcomes.fence("the destination holds version " + there + " but this server's log ends at " + log.publishedVersion()
                                   + ": another server was promoted leader and published after this one");
                    return false;
                }
                outcomes.pauseWith("the destination already holds version " + there + " but this dataset's log ends at " + log.publishedVersion()
                                   + ": the destination is shared with another dataset or server, or this log was replaced. Point the sink at its own destination.");
                return false;
            }
            LOG.info("Dataset '{}': sink '{}' destination holds up to version {} (cursor {}); continuing after {}", log.dataset(), sink.name(),
                     there, position.version(), there);
            position.rewind(there);
        }
        if ( there != Sink.UNKNOWN )
            destination.holds(there);
        // Not succeeded(): the backoff only resets once a patch is delivered (or there is none to
        // deliver), so a destination that accepts connections but refuses patches is not retried
        // at the initial backoff forever.
        return true;
    }

    private void deliverBatch() throws InterruptedException {
        List<LogRecord> batch = feed.readAfter(position.version(), BATCH);
        if ( batch == null )
            return;
        if ( batch.isEmpty() ) {
            // Caught up: the cursor is written when due (the idle wait comes round within a second).
            position.acknowledge(false);
            outcomes.succeeded();
            log.awaitPublishedAfter(position.version(), IDLE_WAIT_MILLIS);
            return;
        }
        try {
            if ( serial.narrowing() )
                serial.deliverNarrowing(batch);
            else if ( window > 1 )
                pipelined.deliver(window);
            else
                serial.deliver(batch);
        } finally {
            position.acknowledge(false);
        }
    }

    /** The next version to deliver and its patch, for messages; empty when there is none yet. */
    private String next() {
        long v = position.version() + 1;
        if ( v > log.publishedVersion() )
            return "";
        try {
            return " (next: version " + v + ", patch " + log.read(v).meta().id() + ")";
        } catch (VersionGoneException | DamagedRecordException ex) {
            return "";
        }
    }

    private void closeSink() {
        if ( !open )
            return;
        open = false;
        try {
            sink.close();
        } catch (RuntimeException ex) {
            LOG.warn("Dataset '{}': closing sink '{}': {}", log.dataset(), sink.name(), ex.toString());
        }
    }

    /** Stop the runner: waits for the current delivery to finish (bounded), then closes the sink. */
    @Override
    public void close() {
        control.requestStop();
        try {
            thread.join(30_000);
            if ( thread.isAlive() ) {
                LOG.warn("Dataset '{}': sink '{}' did not stop within 30 s; interrupting it", log.dataset(), sink.name());
                thread.interrupt();
                thread.join(5_000);
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        control.stopped();
        LOG.info("Dataset '{}': sink '{}' stopped at version {}", log.dataset(), sink.name(), cursor.acknowledged());
    }
}
