package org.fusekicdc.live;

import java.time.Duration;

/**
 * Limits of a dataset's live queries.
 *
 * @param maxSubscriptions most subscriptions at once, all clients together (then 503)
 * @param maxPerClient     most subscriptions of one client (then 429)
 * @param maxResultRows    a query whose answer has more rows cannot be live (its subscribers get an error)
 * @param queryTimeout     longest evaluation of one query (its subscribers get an error)
 * @param maxPendingRows   rows of updates waiting for a slow subscriber before it gets a resync instead
 * @param historyDeltas    changes kept per query so that a reconnecting client can resume
 * @param costlyThreshold  a query whose evaluation takes longer is evaluated from then on by the costly-query threads
 * @param costlyThreads    threads that evaluate costly queries, apart from the engine's own
 * @param costlyBusyPercent share of the time each costly-query thread may evaluate: it rests after each evaluation for the rest
 */
public record LiveConfig(int maxSubscriptions, int maxPerClient, int maxResultRows, Duration queryTimeout, int maxPendingRows,
                         int historyDeltas, Duration costlyThreshold, int costlyThreads, int costlyBusyPercent) {
    public static final LiveConfig DEFAULTS = new LiveConfig(10_000, 100, 100_000, Duration.ofSeconds(30), 10_000, 100,
                                                             Duration.ofMillis(100), 1, 25);

    public LiveConfig {
        if ( maxSubscriptions < 1 || maxPerClient < 1 || maxResultRows < 1 || maxPendingRows < 1 || historyDeltas < 0 || costlyThreads < 1
             || costlyBusyPercent < 1 || costlyBusyPercent > 100
             || costlyThreshold.isNegative() || costlyThreshold.isZero() || costlyThreshold.compareTo(queryTimeout) > 0 )
            throw new IllegalArgumentException("live query limits must be positive, the costly threshold at most the query timeout: " + this);
    }
}
