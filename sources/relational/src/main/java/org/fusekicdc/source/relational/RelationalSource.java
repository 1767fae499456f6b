package org.fusekicdc.source.relational;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicReference;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.engine.spi.OffsetCommitPolicy;
import org.apache.kafka.connect.source.SourceRecord;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.time.ClockDeadline;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.source.r2rml.R2rmlException;
import org.fusekicdc.source.relational.internal.SourceOffsetStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A relational database's changes through the Debezium embedded engine, on a thread of its own,
 * each database transaction applied as one dataset transaction ({@link ChangeApplier}). A
 * subclass says how to check its database and which connector properties to set.
 * <p>
 * Lifecycle: {@link #start()} checks the database once and throws if it is reachable but not set
 * up; when it is unreachable, start returns and a supervisor thread retries with backoff (state
 * RETRYING with the reason). The same thread restarts the engine after a connection failure.
 * A row the mapping cannot turn into RDF (with cdc:onUnmappableRow "stop") and a database
 * mistake found later end in state FAILED, with the message saying what to change.
 */
public abstract class RelationalSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(RelationalSource.class);

    /** Debezium properties every relational source sets itself; a subclass adds its connector's. */
    public static final Set<String> MANAGED = Set.of("name", "connector.class", "offset.storage", SourceOffsetStore.FILE, "offset.flush.interval.ms",
                                                     "database.hostname", "database.port", "database.user", "database.password", "topic.prefix",
                                                     "table.include.list", "snapshot.mode", "provide.transaction.metadata", "tombstones.on.delete",
                                                     "errors.max.retries", "skipped.operations", "notification.sink.topic.name");

    /** What to check when the database cannot be reached, after the cause. */
    protected static final String UNREACHABLE_FIX = " (check that the database server is running and that cdc:host and cdc:port point at it)";

    protected final RelationalSettings settings;
    protected final Dialect dialect;
    protected final CapturingDatasetGraph dsg;
    private final String type;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private volatile String message;
    private volatile Instant since;
    /** RETRYING was set by {@link #connectionLost}: the engine runs, its connector reconnects by itself. */
    private boolean reconnecting;
    private final Object stateLock = new Object();
    private volatile boolean closing;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile ChangeApplier applier;
    private volatile AppliedPosition applied;
    private Thread supervisor;
    private final Object sleeper = new Object();

    protected RelationalSource(SourceContext context, RelationalSettings settings, Dialect dialect, String type) {
        this.settings = settings;
        this.dialect = dialect;
        this.dsg = context.dataset();
        this.type = type;
    }

    /**
     * Check the database: throws SQLException when it cannot be reached (retry), SourceException
     * when it is reachable but not set up for this source (a start-up error saying what to change).
     */
    protected abstract void checkDatabase() throws SQLException;

    /** The connector's own properties (connector class, database, its position store...); the common ones are set after. */
    protected abstract void connectorProperties(Properties p);

    /** A JDBC connection to the database (an R2RML mapping reads it while changes are applied). */
    protected abstract Connection connect() throws SQLException;

    /** Where the database is, for messages (never with a password). */
    protected abstract String where();

    /** For the start-up log: connection, snapshot mode, tables (never the password). */
    protected abstract String describe();

    /** Fail early when the password variable is named but not set. */
    protected abstract void checkPassword();

    @Override
    public String name() {
        return settings.name();
    }

    /**
     * The running engine's connector lost its connection to the database and reconnects by itself
     * (the engine does not stop): state RETRYING with {@code why}, from now until
     * {@link #connectionRestored()}. Called again while it lasts, it updates the message only.
     * Does nothing unless the source is running (or already reconnecting).
     */
    protected void connectionLost(String why) {
        synchronized (stateLock) {
            if ( state.get() == State.RUNNING || (reconnecting && state.get() == State.RETRYING) ) {
                reconnecting = true;
                change(State.RETRYING, why);
            }
        }
    }

    /** The connector reconnected by itself after {@link #connectionLost}: running again. */
    protected void connectionRestored() {
        synchronized (stateLock) {
            if ( reconnecting && state.get() == State.RETRYING ) {
                reconnecting = false;
                change(State.RUNNING, null);
            }
        }
    }

    /** The last applied position (null before the first transaction); set once {@link #start()} ran. */
    protected Position appliedPosition() {
        return applied == null ? null : applied.position();
    }

    /** True when this source has streamed before: it has an applied position or stored engine offsets. */
    protected boolean hasStreamed() {
        return appliedPosition() != null || !SourceOffsetStore.read(offsetFile()).isEmpty();
    }

    protected Path offsetFile() {
        return settings.workDir().resolve("offsets.dat");
    }

    private void setState(State next, String why) {
        synchronized (stateLock) {
            reconnecting = false;
            change(next, why);
        }
    }

    private void change(State next, String why) {
        State prev = state.getAndSet(next);
        message = why;
        if ( prev != next ) {
            since = dsg.changeLog().config().clock().instant();
            if ( next == State.FAILED )
                LOG.error("Source '{}' (dataset '{}'): {} -> {}: {}", settings.name(), settings.dataset(), prev, next, why);
            else if ( next == State.RETRYING )
                LOG.warn("Source '{}' (dataset '{}'): {} -> {}: {}", settings.name(), settings.dataset(), prev, next, why);
            else
                LOG.info("Source '{}' (dataset '{}'): {} -> {}{}", settings.name(), settings.dataset(), prev, next, why == null ? "" : ": " + why);
        }
    }

    @Override
    public synchronized void start() {
        if ( !state.compareAndSet(State.NEW, State.STARTING) )
            throw new IllegalStateException("Source '" + settings.name() + "' was started before");
        since = dsg.changeLog().config().clock().instant();
        LOG.info("Source '{}' (dataset '{}'): {}", settings.name(), settings.dataset(), describe());
        if ( !settings.tables().isEmpty() )
            LOG.debug("Source '{}' (dataset '{}'): cdc:table compiled to this R2RML mapping (usable as cdc:r2rmlMapping):\n{}", settings.name(), settings.dataset(),
                      CompiledTables.turtle(settings.tables()));
        try {
            checkPassword();
        } catch (RuntimeException ex) {
            setState(State.FAILED, ex.getMessage());
            throw ex;
        }
        applied = AppliedPosition.load(settings.workDir(), dsg.changeLog(), settings.name(), dialect);
        LOG.info("Source '{}' (dataset '{}'): {}", settings.name(), settings.dataset(), applied.position() == null
                 ? "no transaction applied yet (snapshot mode " + settings.snapshotMode() + ")"
                 : "last applied transaction at " + dialect.positionHeader() + " " + applied.position() + "; the database's transactions up to it are skipped if sent again");
        boolean checked;
        try {
            checkDatabase();
            checked = true;
        } catch (SQLException ex) {
            checked = false;
            setState(State.RETRYING, "database " + where() + " not reachable (" + ex.getMessage() + "); retrying" + UNREACHABLE_FIX);
        } catch (SourceException ex) {
            setState(State.FAILED, ex.getMessage());
            throw ex;
        }
        boolean ready = checked;
        supervisor = new Thread(() -> supervise(ready), "fuseki-cdc-source-" + settings.dataset() + "-" + settings.name());
        supervisor.setDaemon(true);
        supervisor.start();
    }

    @Override
    public SourceStatus status() {
        ChangeApplier a = applier;
        Position p = appliedPosition();
        State st;
        String why;
        Instant at;
        synchronized (stateLock) {
            st = state.get();
            why = message;
            at = since;
        }
        return new SourceStatus(settings.name(), type, st, why, at, p == null ? null : p.text(),
                                a == null ? 0 : a.transactions(), a == null ? 0 : a.rows());
    }

    /** Row events of large transactions written to disk by the running engine's applier ({@code cdc:spillThresholdRows}). */
    public long spilledRows() {
        ChangeApplier a = applier;
        return a == null ? 0 : a.spilledRows();
    }

    private Properties engineProperties() {
        Properties p = new Properties();
        // Debezium's queue waits poll.interval.ms (500 by default) for a batch to fill, and the
        // PostgreSQL connector sleeps as long again whenever the replication stream has nothing:
        // on a quiet stream both are pure latency. 5 ms costs a few wake-ups a second of CPU
        // (docs/benchmarks.md, "PostgreSQL and MariaDB sources").
        p.setProperty("poll.interval.ms", "5");
        // Larger batches when behind: the transactions of one batch are applied as one dataset
        // transaction (ChangeApplier), so fewer store commits; the queue holds four batches.
        p.setProperty("max.batch.size", "8192");
        p.setProperty("max.queue.size", "32768");
        p.putAll(settings.debeziumProperties());
        connectorProperties(p);
        p.setProperty("name", settings.topicPrefix());
        p.setProperty("offset.storage", SourceOffsetStore.class.getName());
        p.setProperty(SourceOffsetStore.FILE, offsetFile().toString());
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("topic.prefix", settings.topicPrefix());
        p.setProperty("table.include.list", String.join(",", settings.capturedTables().stream().map(java.util.regex.Pattern::quote).toList()));
        p.setProperty("snapshot.mode", settings.snapshotMode());
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("tombstones.on.delete", "false");
        // TRUNCATE events too (Debezium skips them by default): they clear the table's triples.
        p.setProperty("skipped.operations", "none");
        // Failures end the engine; the supervisor reconnects with its own backoff and status.
        p.setProperty("errors.max.retries", "0");
        // The snapshot's table scans reported on the event stream: a snapshot of empty tables still clears them.
        SnapshotNotifications.enable(p, settings.topicPrefix());
        return p;
    }

    /** The engine's max.batch.size (Debezium's default 2048 if cdc:debeziumProperties gives no number). */
    private static int maxBatchSize(Properties p) {
        try {
            return Integer.parseInt(p.getProperty("max.batch.size", "2048").trim());
        } catch (NumberFormatException ex) {
            return 2048;
        }
    }

    private void supervise(boolean checked) {
        Thread.currentThread().setContextClassLoader(getClass().getClassLoader());
        long delay = settings.retryInitial().toMillis();
        while ( !closing ) {
            if ( !checked ) {
                try {
                    checkDatabase();
                    checked = true;
                } catch (SQLException ex) {
                    setState(State.RETRYING, "database " + where() + " not reachable (" + ex.getMessage() + "); next attempt in " + delay + " ms" + UNREACHABLE_FIX);
                    delay = pause(delay);
                    continue;
                } catch (SourceException ex) {
                    setState(State.FAILED, ex.getMessage());
                    return;
                }
            }
            RowMapper mapper;
            try {
                mapper = R2rmlRows.open(settings, connect());
            } catch (SQLException | R2rmlException ex) {
                if ( ex instanceof R2rmlException && !(ex.getCause() instanceof SQLException) ) {
                    setState(State.FAILED, "Source '" + settings.name() + "': the R2RML mapping (cdc:r2rmlMapping) does not fit database " + where() + ": " + ex.getMessage());
                    return;
                }
                setState(State.RETRYING, "database " + where() + " not reachable (" + ex.getMessage() + "); next attempt in " + delay + " ms" + UNREACHABLE_FIX);
                checked = false;
                delay = pause(delay);
                continue;
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<String> failureMessage = new AtomicReference<>();
            Properties properties = engineProperties();
            ChangeApplier a = new ChangeApplier(settings, dialect, mapper, dsg, applied, maxBatchSize(properties));
            applier = a;
            long started = dsg.changeLog().config().clock().millis();
            try {
                engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                                       .using(properties)
                                       .using(OffsetCommitPolicy.always())
                                       .using(new DebeziumEngine.ConnectorCallback() {
                                           @Override
                                           public void taskStarted() {
                                               setState(State.RUNNING, null);
                                           }
                                       })
                                       .using((success, msg, error) -> {
                                           if ( !success ) {
                                               failure.set(error);
                                               failureMessage.set(msg);
                                           }
                                       })
                                       .notifying(a)
                                       .build();
                if ( closing )
                    break;
                engine.run();
            } catch (RuntimeException ex) {
                failure.set(ex);
            } finally {
                closeEngine();
                a.close();
                mapper.close();
            }
            if ( closing )
                break;
            if ( a.stopCause() != null ) {
                setState(State.FAILED, a.stopCause().getMessage());
                return;
            }
            Throwable t = failure.get();
            String why = describe(t, failureMessage.get());
            if ( dsg.changeLog().config().clock().millis() - started > 60_000 )
                delay = settings.retryInitial().toMillis();   // it ran a while: start the backoff again
            setState(State.RETRYING, "engine stopped: " + why + "; restarting in " + delay + " ms");
            checked = false;
            delay = pause(delay);
        }
        setState(State.STOPPED, null);
    }

    private static String describe(Throwable t, String msg) {
        if ( t == null )
            return msg == null ? "stopped" : msg;
        Throwable root = t;
        while ( root.getCause() != null && root.getCause() != root )
            root = root.getCause();
        return t.getMessage() + (root != t ? " (cause: " + root + ")" : "");
    }

    /** Sleep with jitter, by the log's clock ({@link ClockDeadline}); return the next delay. */
    private long pause(long delay) {
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        InstantSource clock = dsg.changeLog().config().clock();
        long until = clock.millis() + Math.max(1, jittered);
        synchronized (sleeper) {
            long left;
            while ( !closing && (left = ClockDeadline.nextWait(clock, until)) > 0 ) {
                try {
                    sleeper.wait(left);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    closing = true;
                }
            }
        }
        return Math.min(delay * 2, settings.retryMax().toMillis());
    }

    private void closeEngine() {
        DebeziumEngine<?> e = engine;
        engine = null;
        if ( e != null ) {
            try {
                e.close();
            } catch (Exception ex) {
                LOG.warn("Source '{}': closing the engine: {}", settings.name(), ex.toString());
            }
        }
    }

    @Override
    public void close() {
        closing = true;
        synchronized (sleeper) {
            sleeper.notifyAll();
        }
        closeEngine();
        Thread t = supervisor;
        if ( t != null ) {
            try {
                t.join(30_000);
                if ( t.isAlive() )
                    LOG.warn("Source '{}' (dataset '{}'): still stopping after 30 s", settings.name(), settings.dataset());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        dialect.close();
        if ( state.get() != State.FAILED )
            setState(State.STOPPED, null);
    }
}
