package org.fusekicdc.core.source;

import java.time.Instant;

/**
 * What a source is doing, for the status endpoint and for tests.
 *
 * @param source       the source's name
 * @param type         its configuration type, e.g. PostgresSource
 * @param state        the lifecycle state
 * @param message      why it is in that state (the last error when retrying or failed), or null
 * @param since        when it entered that state (for {@code RETRYING}: when the database went away), or null if unknown
 * @param position     the source log position of the last applied transaction (e.g. a PostgreSQL LSN), or null
 * @param transactions source transactions (and snapshot chunks) applied since start
 * @param rows         row changes applied since start
 */
public record SourceStatus(String source, String type, State state, String message, Instant since, String position, long transactions,
                           long rows) {
    public enum State {
        /** Created, not started. */
        NEW,
        /** Connecting, or taking the initial snapshot. */
        STARTING,
        /** Streaming changes. */
        RUNNING,
        /**
         * The database could not be reached or failed, or the connection to it was lost: retrying
         * (with backoff, or by the connector itself) until changes flow again.
         */
        RETRYING,
        /** Stopped by an error that retrying cannot fix (message says what to change). */
        FAILED,
        /** Closed. */
        STOPPED
    }
}
