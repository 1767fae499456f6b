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
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.source.SourceContext;

/**
 * The validated settings of one {@code cdc:PostgresSource}: connection, replication slot and
 * publication, snapshot mode, failure handling and the table mappings.
 */
record PostgresSourceConfig(String name, String dataset, String host, int port, String database, String user, String passwordEnv, SinkOptions options,
                            String slotName, String publicationName, String snapshotMode, boolean skipUnmappable,
                            Duration retryInitial, Duration retryMax, Properties debeziumProperties, List<TableMapping> tables,
                            Path workDir) {

    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");

    static PostgresSourceConfig from(SourceContext ctx) {
        SinkOptions o = ctx.options();
        String where = "Source '" + ctx.name() + "' of dataset '" + ctx.dataset().datasetName() + "'";
        String host = o.string("host", "localhost");
        int port = (int)o.number("port", 5432, 1, 65535);
        String database = o.required("database", "cdc:database \"shop\"");
        String user = o.required("user", "cdc:user \"fuseki_cdc\"");
        String passwordEnv = o.string("passwordEnv", null);
        if ( passwordEnv != null && !ENV_NAME.matcher(passwordEnv).matches() )
            throw o.error("passwordEnv", "must be the name of an environment variable such as PGPASSWORD (the password itself is never written in a file), got '" + passwordEnv + "'");
        String dflt = defaultSlotName(ctx.dataset().datasetName(), ctx.name());
        String slot = o.string("slotName", dflt);
        if ( !SLOT.matcher(slot).matches() )
            throw o.error("slotName", "must be 1 to 63 lower-case letters, digits and underscores (a PostgreSQL replication slot name), got '" + slot + "'");
        String publication = o.string("publicationName", dflt);
        String snapshotMode = o.oneOf("snapshotMode", "initial", "initial", "no_data", "when_needed");
        boolean skip = o.oneOf("onUnmappableRow", "stop", "stop", "skip").equals("skip");
        long initial = o.number("retryInitialMillis", 1000, 1, 3_600_000);
        long max = o.number("retryMaxMillis", 60_000, 1, 3_600_000);
        if ( max < initial )
            throw o.error("retryMaxMillis", "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        Properties extra = o.properties("debeziumProperties");
        for ( String k : extra.stringPropertyNames() ) {
            if ( PostgresSource.MANAGED.contains(k) )
                throw o.error("debeziumProperties", "sets " + k + ", which the source sets itself (from its own options or because exactly-once depends on it); remove it");
        }
        List<TableMapping> tables = new ArrayList<>();
        for ( Statement st : ctx.description().listProperties(Vocab.table).toList() )
            tables.add(TableMapping.from(st.getObject(), where));
        if ( tables.isEmpty() )
            throw new CdcConfigException(PostgresSourceProvider.TABLE, where + ": cdc:table is required: give one mapping per table to follow,"
                                         + " for example cdc:table [ cdc:tableName \"public.customer\" ; cdc:subjectTemplate \"http://example.org/customer/{id}\" ;"
                                         + " cdc:column [ cdc:columnName \"name\" ; cdc:predicate ex:name ] ] (see docs/sources.md).");
        if ( tables.stream().map(TableMapping::table).distinct().count() != tables.size() )
            throw new CdcConfigException(PostgresSourceProvider.TABLE, where + ": a table is mapped twice; give each table one cdc:table.");
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
        return passwordEnv == null ? null : options.environmentValue("passwordEnv", passwordEnv);
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
