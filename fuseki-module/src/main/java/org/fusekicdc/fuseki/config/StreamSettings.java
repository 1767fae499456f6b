package org.fusekicdc.fuseki.config;

import java.time.Duration;
import java.util.List;

/**
 * Continuous query settings of one captured dataset.
 *
 * @param queries    the queries named in the configuration, started with the server
 * @param tick       how often time windows are advanced when no commit arrives
 * @param maxQueries most continuous queries at once, configured and HTTP ones together
 */
public record StreamSettings(List<ContinuousQuerySettings> queries, Duration tick, int maxQueries) {
    public static final Duration DEFAULT_TICK = Duration.ofMillis(200);
    public static final int DEFAULT_MAX_QUERIES = 1000;
}
