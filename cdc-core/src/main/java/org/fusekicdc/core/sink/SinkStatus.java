package org.fusekicdc.core.sink;

import java.time.Instant;

/**
 * What an operator needs to know about one sink.
 *
 * @param sink          the sink's name
 * @param state         running, retrying, paused, ...
 * @param cursor        the last version delivered and acknowledged
 * @param lagVersions   published versions not yet delivered
 * @param lagSeconds    age of the oldest undelivered patch, 0 when caught up
 * @param lastError     the last failure's message, or null
 * @param lastErrorTime when it happened, or null
 * @param deadLettered  patches sent to the dead-letter directory so far
 */
public record SinkStatus(String sink, SinkState state, long cursor, long lagVersions, double lagSeconds,
                         String lastError, Instant lastErrorTime, long deadLettered) {}
