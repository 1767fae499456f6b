package org.fusekicdc.fuseki.config;

import java.time.Duration;

/**
 * Read-your-writes and readiness of one captured dataset.
 *
 * @param maxWait            longest a read asking for a version waits for it
 * @param maxWaiters         most reads waiting at once
 * @param readyMaxLagVersions readiness: most versions behind the topic's newest
 * @param readyMaxLagMillis  readiness: most milliseconds from the leader's commit to the commit here, while behind
 */
public record ReplicaReadSettings(Duration maxWait, int maxWaiters, long readyMaxLagVersions, long readyMaxLagMillis) {
    public static final Duration DEFAULT_WAIT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_WAITERS = 256;
    public static final long DEFAULT_READY_LAG_VERSIONS = 100;
    public static final long DEFAULT_READY_LAG_MILLIS = 10_000;
}
