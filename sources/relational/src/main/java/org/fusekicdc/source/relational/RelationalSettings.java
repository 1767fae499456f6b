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

/**
 * The settings every relational source has, whatever its database: snapshot mode, failure
 * handling, retries, extra Debezium properties and the table mappings.
 */
public record RelationalSettings(String name, String dataset, String snapshotMode, boolean skipUnmappable, Duration retryInitial, Duration retryMax,
                                 Properties debeziumProperties, List<TableMapping> tables, Path workDir, int spillThresholdRows) {

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
    public static final Option<String> TABLE = Option.required("table", "resource (repeatable)",
        "One table to follow and how its rows become triples (see below).");

    /**
     * Read the common settings.
     *
     * @param snapshotMode the connector's snapshot mode, already validated by the caller
     * @param managed      Debezium properties the source sets itself, refused in cdc:debeziumProperties
     * @param tableExample an example table name of this database, for messages ("public.customer")
     */
    public static RelationalSettings from(SourceContext ctx, String snapshotMode, Set<String> managed, String tableExample) {
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
        if ( tables.isEmpty() )
            throw new CdcConfigException(TABLE.name(), where + ": cdc:table is required: give one mapping per table to follow,"
                                         + " for example cdc:table [ cdc:tableName \"" + tableExample + "\" ; cdc:subjectTemplate \"http://example.org/customer/{id}\" ;"
                                         + " cdc:column [ cdc:columnName \"name\" ; cdc:predicate ex:name ] ] (see docs/sources.md).");
        if ( tables.stream().map(TableMapping::table).distinct().count() != tables.size() )
            throw new CdcConfigException(TABLE.name(), where + ": a table is mapped twice; give each table one cdc:table.");
        return new RelationalSettings(ctx.name(), ctx.dataset().datasetName(), snapshotMode, skip, Duration.ofMillis(initial), Duration.ofMillis(max),
                                      extra, List.copyOf(tables), ctx.workDir(), spillThreshold);
    }

    /** The Debezium topic prefix (also its logical server name): the source's name, made safe. */
    public String topicPrefix() {
        return "fusekicdc_" + name.replaceAll("[^A-Za-z0-9_]", "_");
    }
}
