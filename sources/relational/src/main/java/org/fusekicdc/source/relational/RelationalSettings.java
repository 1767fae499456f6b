package org.fusekicdc.source.relational;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;

import org.apache.jena.rdf.model.Statement;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.source.r2rml.R2rmlMapping;

/**
 * The settings every relational source has, whatever its database: snapshot mode, failure
 * handling, retries, extra Debezium properties and the mapping: the R2RML mapping the source
 * runs ({@code r2rml}), given with {@code cdc:r2rmlMapping} or compiled from the {@code cdc:table}
 * mappings ({@code tables}, empty with {@code cdc:r2rmlMapping}).
 *
 * @param capturedTables the tables the connector follows, {@code schema.table} as Debezium names them
 */
public record RelationalSettings(String name, String dataset, String snapshotMode, boolean skipUnmappable, Duration retryInitial, Duration retryMax,
                                 Properties debeziumProperties, List<TableMapping> tables, R2rmlMapping r2rml, List<String> capturedTables, Path workDir,
                                 int spillThresholdRows) {

    public static final Option<String> ON_UNMAPPABLE_ROW = Option.oneOf("onUnmappableRow", "\"stop\" or \"skip\"", "stop", List.of("stop", "skip"),
        "A row the mapping cannot turn into RDF stops the source (naming table, key and reason), or is skipped with a warning.");
    public static final Option<Long> RETRY_INITIAL_MILLIS = Option.integer("retryInitialMillis", "integer (ms)", 1000,
        "First delay before reconnecting to an unreachable database; doubled after each failure.").range(1, 3_600_000);
    public static final Option<Long> RETRY_MAX_MILLIS = Option.integer("retryMaxMillis", "integer (ms)", 60_000,
        "Longest delay between reconnection attempts.").range(1, 3_600_000);
    public static final Option<String> DEBEZIUM_PROPERTIES = Option.withoutDefault("debeziumProperties", "string (key=value lines)", "none",
        "Further Debezium connector properties (e.g. `database.sslmode=require`); `${env:NAME}` is expanded.");
    public static final Option<Long> SPILL_THRESHOLD_ROWS = Option.integer("spillThresholdRows", "integer (row changes)", 10_000,
        "A source transaction's row changes are kept in memory up to this many; past it the rest go to a file in the source's directory"
        + " until the transaction is applied, still as one dataset transaction. Also the most row changes grouped into one dataset"
        + " transaction when the source is behind.").range(1, 10_000_000);
    public static final Option<String> TABLE = Option.withoutDefault("table", "resource (repeatable)", "required unless cdc:r2rmlMapping",
        "One table to follow and how its rows become triples (see below).");
    public static final Option<String> R2RML_MAPPING = Option.withoutDefault("r2rmlMapping", "resource or string (a file's IRI, or Turtle)", "none",
        "A W3C R2RML mapping instead of cdc:table: `<shop.r2rml.ttl>` (a file, relative to the configuration file) or the mapping's Turtle inline;"
        + " the source follows every table it names with rr:tableName.");

    /**
     * Read the common settings.
     *
     * @param snapshotMode the connector's snapshot mode, already validated by the caller
     * @param managed      Debezium properties the source sets itself, refused in cdc:debeziumProperties
     * @param tableExample an example table name of this database, for messages ("public.customer")
     */
    public static RelationalSettings from(SourceContext ctx, String snapshotMode, Set<String> managed, String tableExample) {
        return from(ctx, snapshotMode, managed, tableExample, null);
    }

    /**
     * Read the common settings.
     *
     * @param defaultSchema the schema of an R2RML table name without one ("public"), or null when
     *                      the database needs it written (MariaDB: database.table)
     */
    public static RelationalSettings from(SourceContext ctx, String snapshotMode, Set<String> managed, String tableExample, String defaultSchema) {
        OptionValues o = ctx.options();
        String where = "Source '" + ctx.name() + "' of dataset '" + ctx.dataset().datasetName() + "'";
        boolean skip = o.oneOf(ON_UNMAPPABLE_ROW).equals("skip");
        long initial = o.number(RETRY_INITIAL_MILLIS);
        long max = o.number(RETRY_MAX_MILLIS);
        if ( max < initial )
            throw o.error(RETRY_MAX_MILLIS.name(), "(" + max + ") is smaller than cdc:retryInitialMillis (" + initial + ")");
        int spillThreshold = (int)o.number(SPILL_THRESHOLD_ROWS);
        Properties extra = o.properties(DEBEZIUM_PROPERTIES.name());
        for ( String k : extra.stringPropertyNames() ) {
            if ( managed.contains(k) )
                throw o.error(DEBEZIUM_PROPERTIES.name(), "sets " + k + ", which the source sets itself (from its own options or because exactly-once depends on it); remove it");
        }
        List<TableMapping> tables = new ArrayList<>();
        for ( Statement st : ctx.description().listProperties(Vocab.table).toList() )
            tables.add(TableMapping.from(st.getObject(), where));
        R2rmlMapping r2rml = R2rmlConfig.read(ctx.description(), where);
        if ( r2rml != null && !tables.isEmpty() )
            throw new CdcConfigException(R2RML_MAPPING.name(), where + ": gives both cdc:r2rmlMapping and cdc:table; a source has one mapping: keep one of them"
                                         + " (a cdc:table mapping can be written as an R2RML triples map, see docs/sources.md).");
        if ( r2rml == null && tables.isEmpty() )
            throw new CdcConfigException(TABLE.name(), where + ": a mapping is required: give cdc:r2rmlMapping <mapping.r2rml.ttl> (W3C R2RML), or one cdc:table per table to follow,"
                                         + " for example cdc:table [ cdc:tableName \"" + tableExample + "\" ; cdc:subjectTemplate \"http://example.org/customer/{id}\" ;"
                                         + " cdc:column [ cdc:columnName \"name\" ; cdc:predicate ex:name ] ] (see docs/sources.md).");
        if ( tables.stream().map(TableMapping::table).distinct().count() != tables.size() )
            throw new CdcConfigException(TABLE.name(), where + ": a table is mapped twice; give each table one cdc:table.");
        List<String> captured = r2rml != null ? R2rmlConfig.capturedTables(r2rml, defaultSchema, tableExample, where)
                                              : tables.stream().map(TableMapping::table).toList();
        if ( r2rml == null )
            r2rml = CompiledTables.mapping(tables);
        return new RelationalSettings(ctx.name(), ctx.dataset().datasetName(), snapshotMode, skip, Duration.ofMillis(initial), Duration.ofMillis(max),
                                      extra, List.copyOf(tables), r2rml, List.copyOf(captured), ctx.workDir(),
                                      spillThreshold);
    }

    /** The Debezium topic prefix (also its logical server name): the source's name, made safe. */
    public String topicPrefix() {
        return "fusekicdc_" + name.replaceAll("[^A-Za-z0-9_]", "_");
    }
}
