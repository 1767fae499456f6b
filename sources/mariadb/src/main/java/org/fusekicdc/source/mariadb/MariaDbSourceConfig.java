package org.fusekicdc.source.mariadb;

import java.util.List;
import java.util.regex.Pattern;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.source.relational.RelationalSettings;

/**
 * The validated settings of one {@code cdc:MariaDbSource}: connection, replica server id,
 * snapshot mode, failure handling and the table mappings ({@code database.table}).
 */
record MariaDbSourceConfig(RelationalSettings common, String host, int port, String user, String passwordEnv, OptionValues options, long serverId) {

    static final Option<String> HOST = Option.text("host", "string", "localhost",
        "MariaDB or MySQL host name or address.");
    static final Option<Long> PORT = Option.integer("port", "integer", 3306,
        "MariaDB or MySQL port.").range(1, 65535);
    static final Option<String> USER = Option.required("user", "string",
        "A user with REPLICATION SLAVE, REPLICATION CLIENT (MariaDB: BINLOG MONITOR), RELOAD and SELECT on the mapped tables.");
    static final Option<String> PASSWORD_ENV = Option.withoutDefault("passwordEnv", "string (variable name)", "none (no password)",
        "Name of the environment variable holding the user's password, e.g. MARIADB_PASSWORD: the password is never written in a file.");
    static final Option<Long> SERVER_ID = Option.withoutDefault("serverId", "integer", "5400 + a number from dataset and source name (5400-6399)",
        "The replica server id the source uses to read the binlog; must differ from every other replica's and the server's own server_id.");
    static final Option<String> SNAPSHOT_MODE = Option.oneOf("snapshotMode", "\"initial\", \"no_data\" or \"when_needed\"", "initial", List.of("initial", "no_data", "when_needed"),
        "initial: load the existing rows, then stream; no_data: stream changes only; when_needed: snapshot again if the binlog position is gone.");

    /** Every option, as docs/sources.md lists them (generated). */
    static final List<Option<?>> OPTIONS = List.of(HOST, PORT, USER, PASSWORD_ENV, SERVER_ID, SNAPSHOT_MODE,
                                                   RelationalSettings.ON_UNMAPPABLE_ROW, RelationalSettings.RETRY_INITIAL_MILLIS,
                                                   RelationalSettings.RETRY_MAX_MILLIS, RelationalSettings.SPILL_THRESHOLD_ROWS, RelationalSettings.DEBEZIUM_PROPERTIES,
                                                   RelationalSettings.TABLE,
                                                   RelationalSettings.R2RML_MAPPING);

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    static MariaDbSourceConfig from(SourceContext ctx) {
        OptionValues o = ctx.options();
        String host = o.string(HOST);
        int port = (int)o.number(PORT);
        String user = o.required(USER.name(), "cdc:user \"fuseki_cdc\"");
        String passwordEnv = o.string(PASSWORD_ENV);
        if ( passwordEnv != null && !ENV_NAME.matcher(passwordEnv).matches() )
            throw o.error(PASSWORD_ENV.name(), "must be the name of an environment variable such as MARIADB_PASSWORD (the password itself is never written in a file), got '" + passwordEnv + "'");
        long serverId = o.number(SERVER_ID.name(), defaultServerId(ctx.dataset().datasetName(), ctx.name()), 1, 4_294_967_295L);
        RelationalSettings common = RelationalSettings.from(ctx, o.oneOf(SNAPSHOT_MODE), MariaDbSource.MANAGED, "shop.customer");
        return new MariaDbSourceConfig(common, host, port, user, passwordEnv, o, serverId);
    }

    static long defaultServerId(String dataset, String source) {
        return 5400 + Math.floorMod((dataset + "/" + source).hashCode(), 1000);
    }

    /** The databases of the mapped tables. */
    List<String> databases() {
        return common.capturedTables().stream().map(t -> t.substring(0, t.indexOf('.'))).distinct().toList();
    }

    /** The password from the environment (read when connecting, so a server that is only built needs none), or null. */
    String password() {
        return passwordEnv == null ? null : options.environmentValue(PASSWORD_ENV.name(), passwordEnv);
    }

    String jdbcUrl() {
        return "jdbc:mysql://" + host + ":" + port + "/";
    }

    /** For logs: everything but the password. */
    String describe() {
        return "mariadb://" + user + "@" + host + ":" + port + " server id " + serverId + " snapshot " + common.snapshotMode()
               + " tables " + common.capturedTables() + (common.tables().isEmpty() ? " (R2RML mapping)" : " (cdc:table, compiled to R2RML)");
    }
}
