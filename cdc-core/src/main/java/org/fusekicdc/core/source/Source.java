package org.fusekicdc.core.source;

/**
 * A running feed of an external database's changes into a captured dataset. Created (and
 * validated) with the dataset, started with the server, closed when it stops.
 */
public interface Source extends AutoCloseable {
    /** The source's name, unique per dataset. */
    String name();

    /**
     * Start in the background. Throws when the source can tell at once that it can never work
     * (for example the database is reachable but not set up for change capture); when the
     * database cannot be reached, returns and keeps retrying, visible in {@link #status()}.
     */
    void start();

    SourceStatus status();

    /** Stop and release everything; waits (bounded) for the transaction being applied. */
    @Override
    void close();
}
