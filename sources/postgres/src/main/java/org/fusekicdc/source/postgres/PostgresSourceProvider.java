package org.fusekicdc.source.postgres;

import java.util.List;

import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceContext;
import org.fusekicdc.core.source.SourceProvider;

/** {@code cdc:PostgresSource}: a PostgreSQL database's changes through the Debezium embedded engine (pgoutput). */
public final class PostgresSourceProvider implements SourceProvider {
    static final String TABLE = "table";

    /** The options, as docs/sources.md lists them (a test checks). */
    public static final List<SourceOption> OPTIONS = List.of(
        new SourceOption("host", "string", false, "localhost", "PostgreSQL host name or address."),
        new SourceOption("port", "integer", false, "5432", "PostgreSQL port."),
        new SourceOption("database", "string", false, "required", "The database to follow."),
        new SourceOption("user", "string", false, "required", "A user with the REPLICATION attribute and SELECT on the tables (and, for the first start, the right to create the publication)."),
        new SourceOption("passwordEnv", "string (variable name)", false, "none (no password)",
                         "Name of the environment variable holding the user's password, e.g. PGPASSWORD: the password is never written in a file."),
        new SourceOption("slotName", "string", false, "fuseki_cdc_<dataset>_<source>", "The logical replication slot (pgoutput); created on the first start."),
        new SourceOption("publicationName", "string", false, "fuseki_cdc_<dataset>_<source>", "The publication of the mapped tables; created on the first start if absent."),
        new SourceOption("snapshotMode", "\"initial\", \"no_data\" or \"when_needed\"", false, "initial",
                         "initial: load the existing rows, then stream; no_data: stream changes only; when_needed: snapshot again if the slot's position is gone."),
        new SourceOption("onUnmappableRow", "\"stop\" or \"skip\"", false, "stop",
                         "A row the mapping cannot turn into RDF stops the source (naming table, key and reason), or is skipped with a warning."),
        new SourceOption("retryInitialMillis", "integer (ms)", false, "1000", "First delay before reconnecting to an unreachable database; doubled after each failure."),
        new SourceOption("retryMaxMillis", "integer (ms)", false, "60000", "Longest delay between reconnection attempts."),
        new SourceOption("debeziumProperties", "string (key=value lines)", false, "none",
                         "Further Debezium connector properties (e.g. `database.sslmode=require`); `${env:NAME}` is expanded."),
        new SourceOption(TABLE, "resource (repeatable)", true, "required", "One table to follow and how its rows become triples (see below)."));

    @Override
    public String type() {
        return "PostgresSource";
    }

    @Override
    public List<SourceOption> options() {
        return OPTIONS;
    }

    @Override
    public Source create(SourceContext context) {
        return new PostgresSource(context, PostgresSourceConfig.from(context));
    }
}
