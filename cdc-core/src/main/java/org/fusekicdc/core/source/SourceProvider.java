package org.fusekicdc.core.source;

import java.util.List;

/**
 * A kind of source (PostgreSQL, ...), found with {@link java.util.ServiceLoader}: something
 * outside the dataset whose changes are written into it, each source transaction as one dataset
 * transaction and so one patch in the change log. The server configuration names it by type
 * ({@code cdc:source [ a cdc:PostgresSource ; ... ]}); the provider declares its options, for
 * validation and documentation, and creates sources.
 * <p>
 * A source kind lives in its own jar with its own dependencies; a server whose configuration has
 * no {@code cdc:source} never loads it.
 */
public interface SourceProvider {
    /** The local name of the configuration type in the {@code cdc:} namespace, e.g. {@code PostgresSource}. */
    String type();

    /** Options this kind of source understands, beyond {@code cdc:name}. */
    List<SourceOption> options();

    /**
     * Create a source for a dataset, validating every option and the mapping, without
     * connecting to anything: a mistake stops start-up with a message naming it, and a server
     * that is only built (never started) makes no connection.
     */
    Source create(SourceContext context);

    /**
     * One option of a kind of source.
     *
     * @param name         local name in the {@code cdc:} namespace
     * @param type         what the value must be; a type starting with "resource" takes a
     *                     resource (a nested description) instead of a literal
     * @param repeatable   whether it may be given more than once
     * @param defaultValue used when absent, or "required"
     * @param doc          what it does
     */
    record SourceOption(String name, String type, boolean repeatable, String defaultValue, String doc) {
        public boolean takesResource() {
            return type.startsWith("resource");
        }
    }
}
