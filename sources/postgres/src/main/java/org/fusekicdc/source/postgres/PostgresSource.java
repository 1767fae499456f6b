package org.fusekicdc.source.postgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
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
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.core.source.SourceStatus;
import org.fusekicdc.core.source.SourceStatus.State;
import org.fusekicdc.source.postgres.internal.SourceOffsetStore;
import org.fusekicdc.core.internal.time.ClockDeadline;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL source: runs the Debezium embedded engine (pgoutput) on a thread of its own and
 * applies each database transaction to the dataset as one dataset transaction ({@link ChangeApplier}).
 * <p>
 * Lifecycle: {@link #start()} checks the database once (wal_level, the slot when the source has
 * streamed before, the mapped tables and columns) and throws if it is reachable but not set up;
 * when it is unreachable, start returns and a supervisor thread retries with backoff (state
 * RETRYING with the reason). The same thread restarts the engine after a connection failure.
 * A row the mapping cannot turn into RDF (with cdc:onUnmappableRow "stop") and a database
 * mistake found later end in state FAILED, with the message saying what to change.
 */
final class PostgresSource implements Source {
    private static final Logger LOG = LoggerFactory.getLogger(PostgresSource.class);

    /** Debezium properties the source sets itself; cdc:debeziumProperties may not set them. */
    static final Set<String> MANAGED = Set.of("name", "connector.class", "offset.storage", SourceOffsetStore.FILE, "offset.flush.interval.ms",
                                              "database.hostname", "database.port", "database.user", "database.password", "database.dbname",
                                              "topic.prefix", "plugin.name", "slot.name", "publication.name", "table.include.list",
                                              "snapshot.mode", "provide.transaction.metadata", "tombstones.on.delete", "errors.max.retries");

    private final SourceContext context;
    private final PostgresSourceConfig config;
    private final CapturingDatasetGraph dsg;
    private final AtomicReference<State> state = new AtomicReference<>(State.NEW);
    private volatile String message;
    private volatile boolean closing;
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile ChangeApplier applier;
    private volatile AppliedPosition applied;
    private Thread supervisor;
    private final Object sleeper = new Object();

    PostgresSource(SourceContext context, PostgresSourceConfig config) {
        this.context = context;
        this.config = config;
        this.dsg = context.dataset();
    }

    @Override
    public String name() {
        return config.name();
    }

    private void setState(State next, String why) {
        State prev = state.getAndSet(next);
        message = why;
        if ( prev != next ) {
            if ( next == State.FAILED )
                LOG.error("Source '{}' (dataset '{}'): {} -> {}: {}", config.name(), config.dataset(), prev, next, why);
            else if ( next == State.RETRYING )
                LOG.warn("Source '{}' (dataset '{}'): {} -> {}: {}", config.name(), config.dataset(), prev, next, why);
            else
                LOG.info("Source '{}' (dataset '{}'): {} -> {}{}", config.name(), config.dataset(), prev, next, why == null ? "" : ": " + why);
        }
    }

    @Override
    public synchronized void start() {
        if ( !state.compareAndSet(State.NEW, State.STARTING) )
            throw new IllegalStateException("Source '" + config.name() + "' was started before");
        LOG.info("Source '{}' (dataset '{}'): {}", config.name(), config.dataset(), config.describe());
        try {
            config.password();
        } catch (RuntimeException ex) {
            setState(State.FAILED, ex.getMessage());
            throw ex;
        }
        applied = AppliedPosition.load(config.workDir(), dsg.changeLog(), config.name());
        LOG.info("Source '{}' (dataset '{}'): {}", config.name(), config.dataset(), applied.lsn() < 0
                 ? "no transaction applied yet (snapshot mode " + config.snapshotMode() + ")"
                 : "last applied transaction committed at LSN " + AppliedPosition.format(applied.lsn()) + "; the database's transactions up to it are skipped if sent again");
        boolean checked;
        try {
            checkDatabase();
            checked = true;
        } catch (SQLException ex) {
            checked = false;
            setState(State.RETRYING, "database " + config.jdbcUrl() + " not reachable (" + ex.getMessage() + "); retrying");
        } catch (SourceException ex) {
            setState(State.FAILED, ex.getMessage());
            throw ex;
        }
        boolean ready = checked;
        supervisor = new Thread(() -> supervise(ready), "fuseki-cdc-source-" + config.dataset() + "-" + config.name());
        supervisor.setDaemon(true);
        supervisor.start();
    }

    @Override
    public SourceStatus status() {
        ChangeApplier a = applier;
        AppliedPosition p = applied;
        return new SourceStatus(config.name(), "PostgresSource", state.get(), message,
                                p == null || p.lsn() < 0 ? null : AppliedPosition.format(p.lsn()),
                                a == null ? 0 : a.transactions.get(), a == null ? 0 : a.rows.get());
    }

    // ---- The database checks

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", config.user());
        String password = config.password();
        if ( password != null )
            p.setProperty("password", password);
        p.setProperty("connectTimeout", "5");
        p.setProperty("socketTimeout", "30");
        return DriverManager.getConnection(config.jdbcUrl(), p);
    }

    /**
     * Throws SQLException when the database cannot be reached (retry), SourceException when it
     * is reachable but not set up for this source (a start-up error saying what to change).
     */
    void checkDatabase() throws SQLException {
        try (Connection c = connect()) {
            String walLevel = one(c, "SHOW wal_level");
            if ( !"logical".equals(walLevel) )
                throw new SourceException("Source '" + config.name() + "': PostgreSQL at " + config.host() + ":" + config.port() + " has wal_level = "
                                          + walLevel + "; change data capture needs logical decoding. Run ALTER SYSTEM SET wal_level = logical;"
                                          + " as a superuser and restart PostgreSQL.");
            boolean slotExists;
            try (PreparedStatement ps = c.prepareStatement("SELECT plugin FROM pg_replication_slots WHERE slot_name = ? AND database = current_database()")) {
                ps.setString(1, config.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    slotExists = rs.next();
                    if ( slotExists && !"pgoutput".equals(rs.getString(1)) )
                        throw new SourceException("Source '" + config.name() + "': replication slot '" + config.slotName() + "' uses the plugin " + rs.getString(1)
                                                  + ", not pgoutput. Drop it (SELECT pg_drop_replication_slot('" + config.slotName() + "')) or set cdc:slotName to another name.");
                }
            }
            if ( !slotExists && hasStreamed() && !config.snapshotMode().equals("when_needed") )
                throw new SourceException("Source '" + config.name() + "': replication slot '" + config.slotName() + "' does not exist in database '" + config.database()
                                          + "', but this source has streamed from it before (last applied LSN "
                                          + (applied.lsn() < 0 ? "unknown" : AppliedPosition.format(applied.lsn())) + "): the changes made since then are gone."
                                          + " Either set cdc:snapshotMode \"when_needed\" to load the tables again (rows deleted meanwhile stay in the dataset),"
                                          + " or rebuild the dataset: stop Fuseki, delete the dataset, its change log and " + config.workDir() + ", and start again.");
            List<String> problems = new ArrayList<>();
            for ( TableMapping t : config.tables() ) {
                String[] st = t.table().split("\\.", 2);
                List<String> cols = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?")) {
                    ps.setString(1, st[0]);
                    ps.setString(2, st[1]);
                    try (ResultSet rs = ps.executeQuery()) {
                        while ( rs.next() )
                            cols.add(rs.getString(1));
                    }
                }
                if ( cols.isEmpty() ) {
                    problems.add("table " + t.table() + " does not exist (or user " + config.user() + " cannot see it)");
                    continue;
                }
                List<String> used = new ArrayList<>(t.subject().columns());
                for ( TableMapping.ColumnMapping cm : t.columns() ) {
                    used.add(cm.column());
                    if ( cm.objectTemplate() != null )
                        used.addAll(cm.objectTemplate().columns());
                }
                for ( String u : used ) {
                    if ( !cols.contains(u) )
                        problems.add("table " + t.table() + " has no column '" + u + "' (columns: " + cols + ")");
                }
            }
            if ( !problems.isEmpty() )
                throw new SourceException("Source '" + config.name() + "': the mapping does not fit database '" + config.database() + "': "
                                          + String.join("; ", problems) + ". Fix cdc:tableName / cdc:columnName / the templates.");
        }
    }

    private boolean hasStreamed() {
        return applied.lsn() >= 0 || !SourceOffsetStore.read(offsetFile()).isEmpty();
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    Path offsetFile() {
        return config.workDir().resolve("offsets.dat");
    }

    // ---- The engine

    private Properties engineProperties() {
        Properties p = new Properties();
        // Debezium waits up to poll.interval.ms (500 by default) to fill a batch: most of a quiet
        // stream's latency. 50 ms keeps commit-to-log latency low at little cost (docs/benchmarks.md).
        p.setProperty("poll.interval.ms", "50");
        p.putAll(config.debeziumProperties());
        p.setProperty("name", config.topicPrefix());
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("offset.storage", SourceOffsetStore.class.getName());
        p.setProperty(SourceOffsetStore.FILE, offsetFile().toString());
        p.setProperty("offset.flush.interval.ms", "0");
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        String password = config.password();
        if ( password != null )
            p.setProperty("database.password", password);
        p.setProperty("database.dbname", config.database());
        p.setProperty("topic.prefix", config.topicPrefix());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publicationName());
        p.setProperty("publication.autocreate.mode", p.getProperty("publication.autocreate.mode", "filtered"));
        p.setProperty("table.include.list", String.join(",", config.tables().stream().map(t -> java.util.regex.Pattern.quote(t.table())).toList()));
        p.setProperty("snapshot.mode", config.snapshotMode());
        p.setProperty("provide.transaction.metadata", "true");
        p.setProperty("tombstones.on.delete", "false");
        // Failures end the engine; the supervisor reconnects with its own backoff and status.
        p.setProperty("errors.max.retries", "0");
        return p;
    }

    private void supervise(boolean checked) {
        Thread.currentThread().setContextClassLoader(PostgresSource.class.getClassLoader());
        long delay = config.retryInitial().toMillis();
        while ( !closing ) {
            if ( !checked ) {
                try {
                    checkDatabase();
                    checked = true;
                } catch (SQLException ex) {
                    setState(State.RETRYING, "database " + config.jdbcUrl() + " not reachable (" + ex.getMessage() + "); next attempt in " + delay + " ms");
                    delay = pause(delay);
                    continue;
                } catch (SourceException ex) {
                    setState(State.FAILED, ex.getMessage());
                    return;
                }
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicReference<String> failureMessage = new AtomicReference<>();
            ChangeApplier a = new ChangeApplier(config, dsg, applied);
            applier = a;
            long started = dsg.changeLog().config().clock().millis();
            try {
                engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                                       .using(engineProperties())
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
            }
            if ( closing )
                break;
            if ( a.stopCause != null ) {
                setState(State.FAILED, a.stopCause.getMessage());
                return;
            }
            Throwable t = failure.get();
            String why = describe(t, failureMessage.get());
            if ( dsg.changeLog().config().clock().millis() - started > 60_000 )
                delay = config.retryInitial().toMillis();   // it ran a while: start the backoff again
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
        return Math.min(delay * 2, config.retryMax().toMillis());
    }

    private void closeEngine() {
        DebeziumEngine<?> e = engine;
        engine = null;
        if ( e != null ) {
            try {
                e.close();
            } catch (Exception ex) {
                LOG.warn("Source '{}': closing the engine: {}", config.name(), ex.toString());
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
                    LOG.warn("Source '{}' (dataset '{}'): still stopping after 30 s", config.name(), config.dataset());
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        if ( state.get() != State.FAILED )
            setState(State.STOPPED, null);
        if ( Files.exists(config.workDir()) )
            LOG.debug("Source '{}': state in {}", config.name(), config.workDir());
    }

    SourceContext context() {
        return context;
    }
}
