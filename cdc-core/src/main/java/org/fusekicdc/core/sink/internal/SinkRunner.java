package org.fusekicdc.core.sink.internal;

import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
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
import org.fusekicdc.core.wire.PatchRecord;
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
    private static final long ACK_INTERVAL_NANOS = 100_000_000;

    private final ChangeLog log;
    // Handed on with every patch; null when the log is not a captured dataset's.
    private final AsOfSource asOf;
    private final Sink sink;
    private final SinkConfig config;
    private final ReaderCursor cursor;
    private final CursorWriter cursorWriter;
    private final InstantSource clock;
    private final RunnerControl control;
    private final Backoff backoff;
    private final DeadLetters deadLetters;
    private final Thread thread;
    private boolean started;
    // The highest version the destination is known to hold; writers acknowledged on the destination wait on it.
    private final Object destinationSignal = new Object();
    private long destinationVersion;
    private volatile String fencedBecause;
    private volatile Consumer<String> onFenced = reason -> {};

    // Only touched by the runner thread.
    private long position;
    private boolean open;
    // The destination told open() which version it holds: then the cursor is only a hint and
    // is written at most every ACK_INTERVAL, not after every patch (each write forces a file),
    // and on the cursor writer's thread.
    private boolean destinationKnowsPosition;
    private long lastAckNanos;
    // Sends the sink allows in flight (asked at each open).
    private int window = 1;
    // After a permanent failure of a pipelined send: deliver up to this version one patch at a
    // time, so that only the patch at fault is dead-lettered or pauses the sink.
    private long oneAtATimeThrough;

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
        this.asOf = asOf;
        this.sink = sink;
        this.config = config;
        this.cursor = log.reader(cursorName(sink.name()));
        this.clock = log.config().clock();
        this.position = cursor.acknowledged();
        this.cursorWriter = new CursorWriter(cursor, "Dataset '" + log.dataset() + "': sink '" + sink.name() + "' cursor");
        this.control = new RunnerControl(log.dataset(), sink.name(), clock);
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        this.deadLetters = config.deadLetterDir() == null ? null : new DeadLetters(config.deadLetterDir(), log.dataset(), sink.name());
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
        this.onFenced = listener;
    }

    /** Why the sink was fenced, or null while it was not. */
    public String fencedBecause() {
        return fencedBecause;
    }

    /**
     * Wait until the destination holds {@code version} (the sink delivered it, or found it there
     * when it opened), at most {@code timeoutMillis}. False on time-out, or at once when the sink
     * has been fenced.
     */
    public boolean awaitDestination(long version, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        synchronized (destinationSignal) {
            while ( destinationVersion < version && fencedBecause == null ) {
                long waitNanos = deadline - System.nanoTime();
                if ( waitNanos <= 0 )
                    return false;
                destinationSignal.wait(Math.max(1, waitNanos / 1_000_000));
            }
            return destinationVersion >= version;
        }
    }

    /** The highest version the destination is known to hold, as far as this runner has seen. */
    public long destinationVersion() {
        synchronized (destinationSignal) {
            return destinationVersion;
        }
    }

    private void destinationHolds(long version) {
        synchronized (destinationSignal) {
            if ( version > destinationVersion ) {
                destinationVersion = version;
                destinationSignal.notifyAll();
            }
        }
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
        return config.lagPolicy() == SinkConfig.LagPolicy.REFUSE && log.publishedVersion() - cursorWriter.requested() > config.maxLagVersions();
    }

    public SinkConfig config() {
        return config;
    }

    public SinkStatus status() {
        // What the runner acknowledged, though its cursor's file may still be being written.
        long acked = cursorWriter.requested();
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
        LOG.info("Dataset '{}': sink '{}' starting after version {}", log.dataset(), sink.name(), position);
        try {
            while ( true ) {
                if ( !control.awaitRunnable(this::rewound, () -> position) )
                    return;
                if ( log.isClosed() ) {
                    // Nothing more will come, and waiting on a closed log returns at once: this loop would spin.
                    LOG.info("Dataset '{}': sink '{}' stops: the change log is closed (delivered up to version {})", log.dataset(), sink.name(), position);
                    return;
                }
                if ( !open && !openSink() )
                    continue;
                deliverBatch();
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error ex) {
            LOG.error("Dataset '{}': sink '{}' stopped by an unexpected error at version {}: {}", log.dataset(), sink.name(), position + 1, ex.toString(), ex);
            control.set(SinkState.FAILED, ex.toString());
        } finally {
            acknowledge(true);
            cursorWriter.close();
            closeSink();
        }
    }

    /** Deliver again after {@code version}, as an admin asked. */
    private void rewound(long version) {
        position = version;
        cursorWriter.rewind(version);
        LOG.info("Dataset '{}': sink '{}' rewound: delivering again after version {}", log.dataset(), sink.name(), position);
    }

    private boolean openSink() throws InterruptedException {
        long there;
        try {
            there = sink.open(patchIds());
        } catch (SinkException ex) {
            failed(ex, "opening the destination" + next());
            return false;
        }
        open = true;
        window = Math.max(1, sink.maxInFlight());
        destinationKnowsPosition = there != Sink.UNKNOWN;
        if ( there != Sink.UNKNOWN && there != position ) {
            if ( there > log.publishedVersion() ) {
                // Closed, so that a resume opens it again and looks at the destination again.
                closeSink();
                if ( config.acknowledgeWrites() == SinkConfig.Acknowledge.DESTINATION ) {
                    fence("the destination holds version " + there + " but this server's log ends at " + log.publishedVersion()
                          + ": another server was promoted leader and published after this one");
                    return false;
                }
                pauseWith("the destination already holds version " + there + " but this dataset's log ends at " + log.publishedVersion()
                          + ": the destination is shared with another dataset or server, or this log was replaced. Point the sink at its own destination.");
                return false;
            }
            LOG.info("Dataset '{}': sink '{}' destination holds up to version {} (cursor {}); continuing after {}", log.dataset(), sink.name(),
                     there, position, there);
            position = there;
            cursorWriter.rewind(there);
        }
        if ( there != Sink.UNKNOWN )
            destinationHolds(there);
        // Not succeeded(): the backoff only resets once a patch is delivered (or there is none to
        // deliver), so a destination that accepts connections but refuses patches is not retried
        // at the initial backoff forever.
        return true;
    }

    private void deliverBatch() throws InterruptedException {
        List<LogRecord> batch = readAfter(position, BATCH);
        if ( batch == null )
            return;
        if ( batch.isEmpty() ) {
            // Caught up: the cursor is written when due (the idle wait comes round within a second).
            acknowledge(false);
            succeeded();
            log.awaitPublishedAfter(position, IDLE_WAIT_MILLIS);
            return;
        }
        try {
            if ( position < oneAtATimeThrough ) {
                for ( LogRecord r : batch ) {
                    if ( r.version() > oneAtATimeThrough || control.interruptRequested() || !deliverOne(r) )
                        break;
                }
                return;
            }
            if ( window > 1 ) {
                deliverPipelined();
                return;
            }
            if ( sink.maxBatch() > 1 ) {
                deliverGrouped(batch, sink.maxBatch());
                return;
            }
            for ( LogRecord r : batch ) {
                if ( control.interruptRequested() || !deliverOne(r) )
                    break;
            }
        } finally {
            acknowledge(false);
        }
    }

    /** A send in flight: its log records, the sink's handle, when it was sent. */
    private record InFlight(List<LogRecord> records, Sink.Delivery delivery, long sentNanos) {
        long lastVersion() {
            return records.get(records.size() - 1).version();
        }
    }

    /**
     * Keep up to {@link #window} sends in flight: each takes what is waiting in the log after the
     * last one sent (up to the sink's batch size), and the position moves as their
     * acknowledgements come back, in order. Returns when nothing is waiting or in flight, when
     * the runner is asked to pause or stop (after the sends in flight are acknowledged), or after
     * a failure (which has been handled).
     */
    private void deliverPipelined() throws InterruptedException {
        ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
        long sent = position;
        int max = Math.max(1, sink.maxBatch());
        while ( true ) {
            while ( inFlight.size() < window && !control.interruptRequested() ) {
                List<LogRecord> group = readAfter(sent, max);
                if ( group == null )
                    return;
                if ( group.isEmpty() )
                    break;
                Sink.Delivery d;
                long t0 = System.nanoTime();
                try {
                    d = sink.send(group.stream().map(r -> new PatchRecord(log.dataset(), r, asOf)).toList());
                } catch (SinkException ex) {
                    pipelineFailed(group, ex);
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
                pipelineFailed(f.records(), ex);
                return;
            }
            long nanos = System.nanoTime() - f.sentNanos();
            f.records().forEach(r -> delivered(r, nanos));
            position = f.lastVersion();
            succeeded();
            acknowledge(false);
        }
    }

    /**
     * A pipelined send failed: what is still in flight is abandoned. After a transient failure
     * the sink is closed and opened again, which says what the destination holds. A permanent
     * failure of the patch kind is narrowed down one patch at a time with the sink as it is (the
     * destination refused the patch, so it took nothing after it; a reopen could only add a
     * failure of its own, such as a limit lowered after the start).
     */
    private void pipelineFailed(List<LogRecord> group, SinkException ex) throws InterruptedException {
        LogRecord first = group.get(0);
        LogRecord last = group.get(group.size() - 1);
        log.observer().deliveryFailed(sink.name(), first.version(), ex.permanent());
        acknowledge(true);
        if ( ex.permanent() && !ex.sinkWide() ) {
            oneAtATimeThrough = last.version();
            LOG.warn("Dataset '{}': sink '{}' could not deliver versions {} to {} ({}); delivering them one at a time",
                     log.dataset(), sink.name(), first.version(), last.version(), ex.getMessage());
            return;
        }
        failed(ex, which(first));
    }

    /** Up to {@code max} records after {@code after}; null when the sink was paused because they cannot be read. */
    private List<LogRecord> readAfter(long after, int max) {
        try {
            return log.readAfter(after, max);
        } catch (VersionGoneException ex) {
            pauseWith("versions from " + (after + 1) + " were removed from the change log by retention before this sink delivered them"
                      + " (oldest left: " + ex.oldestAvailable() + "). Rewind the sink to " + (ex.oldestAvailable() - 1)
                      + " to skip the gap knowingly, or restore the log; raise retention or stop overriding readers to avoid it.");
            return null;
        } catch (DamagedRecordException ex) {
            pauseWith(ex.getMessage() + " Resume the sink once the log is repaired.");
            return null;
        }
    }

    /**
     * Deliver in groups of up to {@code max} patches with {@link Sink#deliver(List)}. A group
     * that fails permanently, for a reason of its patches, is delivered again one patch at a
     * time, so that only the patch at fault is dead-lettered (or pauses the sink).
     */
    private void deliverGrouped(List<LogRecord> batch, int max) throws InterruptedException {
        for ( int from = 0 ; from < batch.size() ; from += max ) {
            if ( control.interruptRequested() )
                return;
            List<LogRecord> group = batch.subList(from, Math.min(batch.size(), from + max));
            try {
                long t0 = System.nanoTime();
                sink.deliver(group.stream().map(r -> new PatchRecord(log.dataset(), r, asOf)).toList());
                long nanos = System.nanoTime() - t0;
                group.forEach(r -> delivered(r, nanos));
                position = group.get(group.size() - 1).version();
                succeeded();
                continue;
            } catch (SinkException ex) {
                log.observer().deliveryFailed(sink.name(), group.get(0).version(), ex.permanent());
                boolean patchFault = ex.permanent() && !ex.sinkWide();
                if ( patchFault && group.size() == 1 && deadLetters != null ) {
                    deadLetter(group.get(0), ex);
                    position = group.get(0).version();
                    continue;
                }
                if ( !patchFault || group.size() == 1 ) {
                    acknowledge(true);
                    failed(ex, which(group.get(0)));
                    return;
                }
                LOG.warn("Dataset '{}': sink '{}' could not deliver versions {} to {} together ({}); delivering them one at a time",
                         log.dataset(), sink.name(), group.get(0).version(), group.get(group.size() - 1).version(), ex.getMessage());
            }
            for ( LogRecord r : group ) {
                if ( control.interruptRequested() || !deliverOne(r) )
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
            sink.deliver(new PatchRecord(log.dataset(), r, asOf));
            delivered(r, System.nanoTime() - t0);
            position = r.version();
            succeeded();
            return true;
        } catch (SinkException ex) {
            log.observer().deliveryFailed(sink.name(), r.version(), ex.permanent());
            if ( ex.permanent() && !ex.sinkWide() && deadLetters != null ) {
                deadLetter(r, ex);
                position = r.version();
                return true;
            }
            // Acknowledge what was delivered before waiting out the backoff (or pausing),
            // so the cursor and the status are not left behind meanwhile.
            acknowledge(true);
            failed(ex, which(r));
            return false;
        }
    }

    private void delivered(LogRecord r, long nanos) {
        destinationHolds(r.version());
        log.observer().delivered(sink.name(), r.version(), nanos);
        if ( LOG.isDebugEnabled() )
            LOG.debug("Dataset '{}': sink '{}' delivered version {} (patch {}) in {} ms", log.dataset(), sink.name(), r.version(),
                      r.meta().id(), nanos / 1_000_000.0);
    }

    /** Record the position in the durable cursor: now when forced, else when it is due. */
    private void acknowledge(boolean force) {
        if ( position <= cursorWriter.requested() )
            return;
        long now = System.nanoTime();
        if ( force || !destinationKnowsPosition ) {
            cursorWriter.writeNow(position);
            lastAckNanos = now;
        } else if ( now - lastAckNanos >= ACK_INTERVAL_NANOS ) {
            // Only a hint: written off this thread, so that its fsync does not hold up the next patch.
            cursorWriter.writeLater(position);
            lastAckNanos = now;
        }
    }

    /** The next version to deliver and its patch, for messages; empty when there is none yet. */
    private String next() {
        long v = position + 1;
        if ( v > log.publishedVersion() )
            return "";
        try {
            return " (next: version " + v + ", patch " + log.read(v).meta().id() + ")";
        } catch (VersionGoneException | DamagedRecordException ex) {
            return "";
        }
    }

    /** {@code which}: the version and patch that failed, or what else failed ("opening the destination"). */
    private static String which(LogRecord r) {
        return "version " + r.version() + " (patch " + r.meta().id() + ")";
    }

    private void failed(SinkException ex, String which) throws InterruptedException {
        closeSink();
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
        LOG.warn("Dataset '{}': sink '{}' failed: {}; retrying in {} ms", log.dataset(), sink.name(), msg, jittered);
        control.waitOut(jittered);
    }

    /** The ids of this log's patches, for a sink's check that no other leader published after this server. */
    private Sink.PatchIds patchIds() {
        return new Sink.PatchIds() {
            @Override
            public long headVersion() {
                return log.publishedVersion();
            }

            @Override
            public Optional<UUID> idAt(long version) {
                if ( version <= 0 || version > log.publishedVersion() )
                    return Optional.empty();
                try {
                    return Optional.ofNullable(log.idOf(version));
                } catch (VersionGoneException | DamagedRecordException ex) {
                    return Optional.empty();
                }
            }
        };
    }

    /** Another server leads the dataset now: stop delivering for good (until a resume) and say so. */
    private void fence(String reason) {
        String message = "Dataset '" + log.dataset() + "' is fenced: sink '" + sink.name() + "' found that " + reason
                         + ". This server no longer publishes or takes writes; rejoin it as a follower (docs/replicas.md, Failover).";
        synchronized (destinationSignal) {
            fencedBecause = message;
            destinationSignal.notifyAll();
        }
        pauseWith(message);
        onFenced.accept(message);
    }

    private void succeeded() {
        backoff.reset();
        if ( control.recovered() )
            LOG.info("Dataset '{}': sink '{}' recovered; delivering after version {}", log.dataset(), sink.name(), position);
    }

    private void pauseWith(String message) {
        LOG.error("Dataset '{}': sink '{}' paused: {}", log.dataset(), sink.name(), message);
        control.pauseWith(message);
    }

    private void deadLetter(LogRecord r, SinkException ex) {
        deadLetters.write(r, ex);
        control.deadLettered("version " + r.version() + " sent to the dead-letter directory: " + ex.getMessage());
        LOG.error("Dataset '{}': sink '{}' could not deliver version {} (patch {}): {}; written to {}", log.dataset(), sink.name(), r.version(),
                  r.meta().id(), ex.getMessage(), deadLetters.dir());
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
