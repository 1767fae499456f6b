package org.fusekicdc.source.mariadb;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.source.relational.Position;
import org.fusekicdc.source.relational.RelationalSettings;
import org.fusekicdc.source.relational.RelationalSource;
import org.fusekicdc.source.relational.MappingCheck;
import org.fusekicdc.source.mariadb.internal.BinlogBoundaries;
import org.fusekicdc.source.mariadb.internal.BinlogConnectionWatch;
import org.fusekicdc.source.mariadb.internal.MariaDbDriver;

/**
 * A MariaDB/MySQL source: the Debezium MySQL connector reading the row-format binlog as a
 * replica. Start-up checks the binlog settings, that the binlog file of the last applied
 * position still exists when the source has streamed before, and the mapped tables and columns.
 * While the connector's binlog client reconnects by itself, the status says so ({@link BinlogConnectionWatch}).
 */
final class MariaDbSource extends RelationalSource {
    /** Debezium properties the source sets itself; cdc:debeziumProperties may not set them. */
    static final Set<String> MANAGED = managed();
    private static final String KEEP_ALIVE_MILLIS = "1000";

    private final SourceContext context;
    private final MariaDbSourceConfig config;
    private final RelationalSettings common;
    private final BinlogConnectionWatch watch;

    MariaDbSource(SourceContext context, MariaDbSourceConfig config) {
        super(context, config.common(), new BinlogDialect(new BinlogBoundaries(() -> connect(config), Set.copyOf(config.common().capturedTables()))),
              "MariaDbSource");
        this.context = context;
        this.config = config;
        this.common = config.common();
        this.watch = new BinlogConnectionWatch(common.topicPrefix(), () -> connect(config), new BinlogConnectionWatch.Listener() {
            @Override
            public void lost(String probeError) {
                connectionLost("the binlog connection to " + where() + " was lost; the connector reconnects by itself every "
                               + keepAliveMillis() + " ms (connect.keep.alive.interval.ms); "
                               + (probeError == null ? "the database accepts connections again"
                                                     : "database not reachable (" + probeError + ")" + UNREACHABLE_FIX));
            }

            @Override
            public void restored() {
                connectionRestored();
            }
        }, common.dataset() + "-" + common.name());
    }

    @Override
    public synchronized void start() {
        super.start();
        watch.start();
    }

    @Override
    public void close() {
        watch.close();
        super.close();
    }

    /** How often the binlog client tries to reconnect (see {@link #connectorProperties}). */
    private String keepAliveMillis() {
        return common.debeziumProperties().getProperty("connect.keep.alive.interval.ms", KEEP_ALIVE_MILLIS);
    }

    private static Set<String> managed() {
        Set<String> s = new HashSet<>(RelationalSource.MANAGED);
        s.addAll(List.of("database.server.id", "database.include.list", "schema.history.internal", "schema.history.internal.file.filename",
                         "include.schema.changes", "database.jdbc.driver"));
        return Set.copyOf(s);
    }

    SourceContext context() {
        return context;
    }

    @Override
    protected String where() {
        return config.host() + ":" + config.port();
    }

    @Override
    protected String describe() {
        return config.describe();
    }

    @Override
    protected void checkPassword() {
        config.password();
    }

    @Override
    protected void connectorProperties(Properties p) {
        p.setProperty("connector.class", "io.debezium.connector.mysql.MySqlConnector");
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        String password = config.password();
        if ( password != null )
            p.setProperty("database.password", password);
        p.setProperty("database.server.id", Long.toString(config.serverId()));
        p.setProperty("database.include.list", String.join(",", config.databases().stream().map(java.util.regex.Pattern::quote).toList()));
        // The binlog has no table schemas: the connector keeps their history in a file beside the offsets.
        p.setProperty("schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
        p.setProperty("schema.history.internal.file.filename", common.workDir().resolve("schema-history.dat").toString());
        p.setProperty("schema.history.internal.store.only.captured.tables.ddl", p.getProperty("schema.history.internal.store.only.captured.tables.ddl", "true"));
        p.setProperty("include.schema.changes", "false");
        // DDL of other databases in the binlog that the MySQL grammar cannot parse (MariaDB syntax)
        // must not stop the source; only the mapped databases' table definitions are kept.
        p.setProperty("schema.history.internal.skip.unparseable.ddl", p.getProperty("schema.history.internal.skip.unparseable.ddl", "true"));
        p.setProperty("schema.history.internal.store.only.captured.databases.ddl", "true");
        // A server that restarts closes the binlog connection without an error: the connector's
        // binlog client then reconnects by itself, from its keep-alive thread, which looks once per
        // interval (Debezium's default 60 s, all of it delay after a restart).
        p.setProperty("connect.keep.alive.interval.ms", p.getProperty("connect.keep.alive.interval.ms", KEEP_ALIVE_MILLIS));
        // MariaDB names SHOW BINARY LOG STATUS SHOW MASTER STATUS: a driver that translates (see MariaDbStatusStatements).
        p.setProperty("database.jdbc.driver", MariaDbDriver.class.getName());
    }

    @Override
    protected Connection connect() throws SQLException {
        return connect(config);
    }

    private static Connection connect(MariaDbSourceConfig config) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", config.user());
        String password = config.password();
        if ( password != null )
            p.setProperty("password", password);
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "30000");
        return DriverManager.getConnection(config.jdbcUrl(), p);
    }

    @Override
    protected void checkDatabase() throws SQLException {
        String server = "MariaDB/MySQL at " + config.host() + ":" + config.port();
        try (Connection c = connect()) {
            List<String> settings = new ArrayList<>();
            if ( !"1".equals(one(c, "SELECT @@log_bin")) )
                settings.add("log_bin is OFF (set log-bin = mysql-bin)");
            String format = one(c, "SELECT @@binlog_format");
            if ( !"ROW".equalsIgnoreCase(format) )
                settings.add("binlog_format is " + format + " (set binlog_format = ROW)");
            String image = one(c, "SELECT @@binlog_row_image");
            if ( !"FULL".equalsIgnoreCase(image) )
                settings.add("binlog_row_image is " + image + " (set binlog_row_image = FULL)");
            if ( !settings.isEmpty() )
                throw new SourceException("Source '" + common.name() + "': " + server + " cannot be followed: " + String.join("; ", settings)
                                          + ". Change data capture reads the row-format binlog: put these settings under [mysqld] in the server's"
                                          + " configuration (e.g. /etc/mysql/my.cnf) and restart it.");
            Position applied = appliedPosition();
            if ( applied != null && !common.snapshotMode().equals("when_needed") ) {
                String file = applied.text().substring(0, applied.text().indexOf(':'));
                List<String> logs = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("SHOW BINARY LOGS"); ResultSet rs = ps.executeQuery()) {
                    while ( rs.next() )
                        logs.add(rs.getString(1));
                }
                if ( !logs.contains(file) )
                    throw new SourceException("Source '" + common.name() + "': " + server + " no longer has binlog file " + file
                                              + " of the last applied position " + applied + " (it has " + logs + "): the changes made since then are gone."
                                              + " Either set cdc:snapshotMode \"when_needed\" to load the tables again, or rebuild the dataset: stop Fuseki,"
                                              + " delete the dataset, its change log and " + common.workDir() + ", and start again. Keep binlogs longer"
                                              + " (expire_logs_days / binlog_expire_logs_seconds) than the source may be stopped.");
            }
            List<String> problems = MappingCheck.problems(c, common, config.user());
            if ( !problems.isEmpty() )
                throw new SourceException("Source '" + common.name() + "': the mapping does not fit " + server + ": "
                                          + String.join("; ", problems) + (common.tables().isEmpty() ? ". Fix the R2RML mapping (cdc:r2rmlMapping) or the database."
                                                                                                   : ". Fix cdc:tableName (database.table) / cdc:columnName / the templates."));
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
