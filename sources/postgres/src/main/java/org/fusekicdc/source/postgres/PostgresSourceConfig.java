package org.fusekicdc.source.postgres;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.source.relational.RelationalSettings;

/**
 * The validated settings of one {@code cdc:PostgresSource}: connection, replication slot and
 * publication, snapshot mode, failure handling and the table mappings.
 */
record PostgresSourceConfig(RelationalSettings common, String host, int port, String database, String user, String passwordEnv, OptionValues options,
                            String slotName, String publicationName) {

    static final Option<String> HOST = Option.text("host", "string", "localhost",
        "PostgreSQL host name or address.");
    static final Option<Long> PORT = Option.integer("port", "integer", 5432,
        "PostgreSQL port.").range(1, 65535);
    static final Option<String> DATABASE = Option.required("database", "string",
        "The database to follow.");
    static final Option<String> USER = Option.required("user", "string",
        "A user with the REPLICATION attribute and SELECT on the tables (and, for the first start, the right to create the publication).");
    static final Option<String> PASSWORD_ENV = Option.withoutDefault("passwordEnv", "string (variable name)", "none (no password)",
        "Name of the environment variable holding the user's password, e.g. PGPASSWORD: the password is never written in a file.");
    static final Option<String> SLOT_NAME = Option.withoutDefault("slotName", "string", "fuseki_cdc_<dataset>_<source>",
        "The logical replication slot (pgoutput); created on the first start.");
    static final Option<String> PUBLICATION_NAME = Option.withoutDefault("publicationName", "string", "fuseki_cdc_<dataset>_<source>",
        "The publication of the mapped tables; created on the first start if absent.");
    static final Option<String> SNAPSHOT_MODE = Option.oneOf("snapshotMode", "\"initial\", \"no_data\" or \"when_needed\"", "initial", List.of("initial", "no_data", "when_needed"),
        "initial: load the existing rows, then stream; no_data: stream changes only; when_needed: snapshot again if the slot's position is gone.");

    /** Every option, as docs/sources.md lists them (generated). */
    static final List<Option<?>> OPTIONS = List.of(HOST, PORT, DATABASE, USER, PASSWORD_ENV, SLOT_NAME, PUBLICATION_NAME, SNAPSHOT_MODE,
                                                   RelationalSettings.ON_UNMAPPABLE_ROW, RelationalSettings.RETRY_INITIAL_MILLIS,
                                                   RelationalSettings.RETRY_MAX_MILLIS, RelationalSettings.SPILL_THRESHOLD_ROWS, RelationalSettings.DEBEZIUM_PROPERTIES,
                                                   RelationalSettings.TABLE,
                                                   RelationalSettings.R2RML_MAPPING);

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

    static PostgresSourceConfig from(SourceContext ctx) {
        OptionValues o = ctx.options();
        String host = o.string(HOST);
        int port = (int)o.number(PORT);
        String database = o.required(DATABASE.name(), "cdc:database \"shop\"");
        String user = o.required(USER.name(), "cdc:user \"fuseki_cdc\"");
        String passwordEnv = o.string(PASSWORD_ENV);
        if ( passwordEnv != null && !ENV_NAME.matcher(passwordEnv).matches() )
            throw o.error(PASSWORD_ENV.name(), "must be the name of an environment variable such as PGPASSWORD (the password itself is never written in a file), got '" + passwordEnv + "'");
        String dflt = defaultSlotName(ctx.dataset().datasetName(), ctx.name());
        String slot = o.string(SLOT_NAME.name(), dflt);
        if ( !SLOT.matcher(slot).matches() )
            throw o.error(SLOT_NAME.name(), "must be 1 to 63 lower-case letters, digits and underscores (a PostgreSQL replication slot name), got '" + slot + "'");
        String publication = o.string(PUBLICATION_NAME.name(), dflt);
        RelationalSettings common = RelationalSettings.from(ctx, o.oneOf(SNAPSHOT_MODE), PostgresSource.MANAGED, "public.customer", "public");
        return new PostgresSourceConfig(common, host, port, database, user, passwordEnv, o, slot, publication);
    }

    static String defaultSlotName(String dataset, String source) {
        String s = ("fuseki_cdc_" + dataset + "_" + source).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    /** The password from the environment (read when connecting, so a server that is only built needs none), or null. */
    String password() {
        return passwordEnv == null ? null : options.environmentValue(PASSWORD_ENV.name(), passwordEnv);
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** For logs: everything but the password. */
    String describe() {
        return "postgresql://" + user + "@" + host + ":" + port + "/" + database + " slot " + slotName + " publication " + publicationName
               + " snapshot " + common.snapshotMode() + " tables " + common.capturedTables() + (common.tables().isEmpty() ? " (R2RML mapping)" : " (cdc:table, compiled to R2RML)");
    }
}
