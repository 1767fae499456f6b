package org.fusekicdc.core.source;

import java.util.List;

import org.fusekicdc.core.config.Option;

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

    /**
     * Options this kind of source understands, beyond {@code cdc:name}. An option whose type
     * starts with "resource" takes a nested description; one whose type ends with "(repeatable)"
     * may be given more than once ({@link Option#takesResource()}, {@link Option#repeatable()}).
     */
    List<Option<?>> options();

    /**
     * Create a source for a dataset, validating every option and the mapping, without
     * connecting to anything: a mistake stops start-up with a message naming it, and a server
     * that is only built (never started) makes no connection.
     */
    Source create(SourceContext context);

}
