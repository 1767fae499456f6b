package org.fusekicdc.fuseki.config;

import java.time.Duration;
import java.util.List;

import org.fusekicdc.rsp.StreamEngineConfig;

/**
 * Continuous query settings of one captured dataset.
 *
 * @param queries    the queries named in the configuration, started with the server
 * @param tick       how often time windows are advanced when no commit arrives
 * @param maxQueries most continuous queries at once, configured and HTTP ones together
 * @param maxLagVersions how far a costly query on a thread of its own may fall behind the change log
 * @param engine     the engine's limits ({@code cdc:maxWindowQuads}, {@code cdc:incrementalWindows}, {@code cdc:streamCostlyStepMillis})
 */
public record StreamSettings(List<ContinuousQuerySettings> queries, Duration tick, int maxQueries, long maxLagVersions, StreamEngineConfig engine) {
    public static final Duration DEFAULT_TICK = Duration.ofMillis(200);
    public static final int DEFAULT_MAX_QUERIES = 1000;
    public static final long DEFAULT_MAX_LAG_VERSIONS = 10_000;
}
