package org.fusekicdc.source.postgres;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.regex.Pattern;

import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.SourceContext;

/**
 * The validated settings of one {@code cdc:PostgresSource}: connection, replication slot and
 * publication, snapshot mode, failure handling and the table mappings.
 */
record PostgresSourceConfig(String name, String dataset, String host, int port, String database, String user, String passwordEnv, OptionValues options,
                            String slotName, String publicationName, String snapshotMode, boolean skipUnmappable,
                            Duration retryInitial, Duration retryMax, Properties debeziumProperties, List<TableMapping> tables,
                            Path workDir) {

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
    static final Option<String> ON_UNMAPPABLE_ROW = Option.oneOf("onUnmappableRow", "\"stop\" or \"skip\"", "stop", List.of("stop", "skip"),
        "A row the mapping cannot turn into RDF stops the source (naming table, key and reason), or is skipped with a warning.");
    static final Option<Long> RETRY_INITIAL_MILLIS = Option.integer("retryInitialMillis", "integer (ms)", 1000,
        "First delay before reconnecting to an unreachable database; doubled after each failure.").range(1, 3_600_000);
    static final Option<Long> RETRY_MAX_MILLIS = Option.integer("retryMaxMillis", "integer (ms)", 60_000,
        "Longest delay between reconnection attempts.").range(1, 3_600_000);
    static final Option<String> DEBEZIUM_PROPERTIES = Option.withoutDefault("debeziumProperties", "string (key=value lines)", "none",
        "Further Debezium connector properties (e.g. `database.sslmode=require`); `${env:NAME}` is expanded.");
    static final Option<String> TABLE = Option.required("table", "resource (repeatable)",
        "One table to follow and how its rows become triples (see below).");

    /** Every option, as docs/sources.md lists them (generated). */
    static final List<Option<?>> OPTIONS = List.of(HOST, PORT, DATABASE, USER, PASSWORD_ENV, SLOT_NAME, PUBLICATION_NAME, SNAPSHOT_MODE,
                                                   ON_UNMAPPABLE_ROW, RETRY_INITIAL_MILLIS, RETRY_MAX_MILLIS, DEBEZIUM_PROPERTIES, TABLE);

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

    static PostgresSourceConfig from(SourceContext ctx) {
        OptionValues o = ctx.options();
        String where = "Source '" + ctx.name() + "' of dataset '" + ctx.dataset().datasetName() + "'";
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
        String snapshotMode = o.oneOf(SNAPSHOT_MODE);
        boolean skip = o.oneOf(ON_UNMAPPABLE_ROW).equals("skip");
        long initial = o.number(RETRY_INITIAL_MILLIS);
        long max = o.number(RETRY_MAX_MILLIS);
        if ( max < initial )
            throw o.error(RETRY_MAX_MILLIS.name(), "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        Properties extra = o.properties(DEBEZIUM_PROPERTIES.name());
        for ( String k : extra.stringPropertyNames() ) {
            if ( PostgresSource.MANAGED.contains(k) )
                throw o.error(DEBEZIUM_PROPERTIES.name(), "sets " + k + ", which the source sets itself (from its own options or because exactly-once depends on it); remove it");
        }
        List<TableMapping> tables = new ArrayList<>();
        for ( Statement st : ctx.description().listProperties(Vocab.table).toList() )
            tables.add(TableMapping.from(st.getObject(), where));
        if ( tables.isEmpty() )
            throw new CdcConfigException(TABLE.name(), where + ": cdc:table is required: give one mapping per table to follow,"
                                         + " for example cdc:table [ cdc:tableName \"public.customer\" ; cdc:subjectTemplate \"http://example.org/customer/{id}\" ;"
                                         + " cdc:column [ cdc:columnName \"name\" ; cdc:predicate ex:name ] ] (see docs/sources.md).");
        if ( tables.stream().map(TableMapping::table).distinct().count() != tables.size() )
            throw new CdcConfigException(TABLE.name(), where + ": a table is mapped twice; give each table one cdc:table.");
        return new PostgresSourceConfig(ctx.name(), ctx.dataset().datasetName(), host, port, database, user, passwordEnv, o, slot, publication,
                                        snapshotMode, skip, Duration.ofMillis(initial), Duration.ofMillis(max), extra, List.copyOf(tables), ctx.workDir());
    }

    static String defaultSlotName(String dataset, String source) {
        String s = ("fuseki_cdc_" + dataset + "_" + source).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        return s.length() > 63 ? s.substring(0, 63) : s;
    }

    /** The Debezium topic prefix (also its logical server name): the source's name, made safe. */
    String topicPrefix() {
        return "fusekicdc_" + name.replaceAll("[^A-Za-z0-9_]", "_");
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
               + " snapshot " + snapshotMode + " tables " + tables.stream().map(TableMapping::table).toList();
    }
}
