package org.fusekicdc.rsp;

import java.time.Instant;

/**
 * One report of a continuous query.
 *
 * @param query       the query's name (the IRI after REGISTER ... )
 * @param number      monotonic and derived from the stream only, so a replay of the log yields the same numbers:
 *                    time windows: windowEnd / STEP (milliseconds since the epoch); count windows: the version of
 *                    the commit that triggered the step; session windows: the session's start in milliseconds
 * @param windowStart start of the (first) window, inclusive
 * @param windowEnd   end of the (first) window, exclusive
 * @param version     the dataset version the part outside WINDOW blocks was evaluated at
 * @param operator    RSTREAM, ISTREAM or DSTREAM
 * @param result      the answer
 */
public record Step(String query, long number, Instant windowStart, Instant windowEnd, long version,
                   StreamOperator operator, StepResult result) {}
