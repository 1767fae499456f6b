package org.fusekicdc.live;

import java.time.Duration;

/**
 * Limits of a dataset's live queries.
 *
 * @param maxSubscriptions most subscriptions at once, all clients together (then 503)
 * @param maxPerClient     most subscriptions of one client (then 429)
 * @param maxResultRows    a query whose answer has more rows cannot be live (its subscribers get an error)
 * @param queryTimeout     longest evaluation of one query
 * @param maxPendingRows   rows of updates waiting for a slow subscriber before it gets a resync instead
 * @param historyDeltas    changes kept per query so that a reconnecting client can resume
 */
public record LiveConfig(int maxSubscriptions, int maxPerClient, int maxResultRows, Duration queryTimeout, int maxPendingRows,
                         int historyDeltas) {
    public static final LiveConfig DEFAULTS = new LiveConfig(10_000, 100, 100_000, Duration.ofSeconds(30), 10_000, 100);

    public LiveConfig {
        if ( maxSubscriptions < 1 || maxPerClient < 1 || maxResultRows < 1 || maxPendingRows < 1 || historyDeltas < 0 )
            throw new IllegalArgumentException("live query limits must be positive: " + this);
    }
}
