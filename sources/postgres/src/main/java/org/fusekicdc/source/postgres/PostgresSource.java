package org.fusekicdc.source.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceException;
import org.fusekicdc.source.relational.RelationalSettings;
import org.fusekicdc.source.relational.RelationalSource;
import org.fusekicdc.source.relational.MappingCheck;

/**
 * A PostgreSQL source: the Debezium PostgreSQL connector (pgoutput). Start-up checks wal_level,
 * the slot when the source has streamed before, and the mapped tables and columns.
 */
final class PostgresSource extends RelationalSource {
    /** Debezium properties the source sets itself; cdc:debeziumProperties may not set them. */
    static final Set<String> MANAGED = managed();

    private final SourceContext context;
    private final PostgresSourceConfig config;
    private final RelationalSettings common;

    PostgresSource(SourceContext context, PostgresSourceConfig config) {
        super(context, config.common(), new PostgresDialect(), "PostgresSource");
        this.context = context;
        this.config = config;
        this.common = config.common();
    }

    SourceContext context() {
        return context;
    }

    private static Set<String> managed() {
        Set<String> s = new HashSet<>(RelationalSource.MANAGED);
        s.addAll(List.of("database.dbname", "plugin.name", "slot.name", "publication.name"));
        return Set.copyOf(s);
    }

    @Override
    protected String where() {
        return config.jdbcUrl();
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
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        String password = config.password();
        if ( password != null )
            p.setProperty("database.password", password);
        p.setProperty("database.dbname", config.database());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publicationName());
        p.setProperty("publication.autocreate.mode", p.getProperty("publication.autocreate.mode", "filtered"));
    }

    @Override
    protected Connection connect() throws SQLException {
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
    @Override
    protected void checkDatabase() throws SQLException {
        try (Connection c = connect()) {
            String walLevel = one(c, "SHOW wal_level");
            if ( !"logical".equals(walLevel) )
                throw new SourceException("Source '" + common.name() + "': PostgreSQL at " + config.host() + ":" + config.port() + " has wal_level = "
                                          + walLevel + "; change data capture needs logical decoding. Run ALTER SYSTEM SET wal_level = logical;"
                                          + " as a superuser and restart PostgreSQL.");
            boolean slotExists;
            try (PreparedStatement ps = c.prepareStatement("SELECT plugin FROM pg_replication_slots WHERE slot_name = ? AND database = current_database()")) {
                ps.setString(1, config.slotName());
                try (ResultSet rs = ps.executeQuery()) {
                    slotExists = rs.next();
                    if ( slotExists && !"pgoutput".equals(rs.getString(1)) )
                        throw new SourceException("Source '" + common.name() + "': replication slot '" + config.slotName() + "' uses the plugin " + rs.getString(1)
                                                  + ", not pgoutput. Drop it (SELECT pg_drop_replication_slot('" + config.slotName() + "')) or set cdc:slotName to another name.");
                }
            }
            if ( !slotExists && hasStreamed() && !common.snapshotMode().equals("when_needed") )
                throw new SourceException("Source '" + common.name() + "': replication slot '" + config.slotName() + "' does not exist in database '" + config.database()
                                          + "', but this source has streamed from it before (last applied LSN "
                                          + (appliedPosition() == null ? "unknown" : appliedPosition()) + "): the changes made since then are gone."
                                          + " Either set cdc:snapshotMode \"when_needed\" to load the tables again (rows deleted meanwhile stay in the dataset),"
                                          + " or rebuild the dataset: stop Fuseki, delete the dataset, its change log and " + common.workDir() + ", and start again.");
            List<String> problems = MappingCheck.problems(c, common, config.user());
            if ( !problems.isEmpty() )
                throw new SourceException("Source '" + common.name() + "': the mapping does not fit database '" + config.database() + "': "
                                          + String.join("; ", problems) + (common.tables().isEmpty() ? ". Fix the R2RML mapping (cdc:r2rmlMapping) or the database."
                                                                                                   : ". Fix cdc:tableName / cdc:columnName / the templates."));
        }
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }
}
