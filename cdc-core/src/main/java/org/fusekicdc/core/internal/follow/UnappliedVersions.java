package org.fusekicdc.core.internal.follow;

import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The leader's commit times of the versions a follower has read from its topic and not yet
 * applied: its lag in time is the age of the oldest of them, which keeps growing while the
 * follower is stuck applying it (the figure of the last version applied would not). Versions
 * readers see are dropped as they are applied and as the lag is asked for, so this holds at
 * most the patches being applied.
 */
final class UnappliedVersions {
    private final ConcurrentSkipListMap<Long, Long> leaderCommitMillis = new ConcurrentSkipListMap<>();

    /** The follower has read {@code version}, which its leader committed at {@code leaderCommitMillis}. */
    void seen(long version, long leaderCommitMillis) {
        this.leaderCommitMillis.putIfAbsent(version, leaderCommitMillis);
    }

    /** Readers see every version up to {@code appliedVersion}: forget them. */
    void appliedUpTo(long appliedVersion) {
        leaderCommitMillis.headMap(appliedVersion, true).clear();
    }

    /**
     * How long ago the leader committed the oldest version read here that readers do not see
     * yet: 0 when every version read is applied.
     *
     * @param appliedVersion the last version readers see here
     */
    long lagMillis(long appliedVersion, long nowMillis) {
        appliedUpTo(appliedVersion);
        Map.Entry<Long, Long> oldest = leaderCommitMillis.firstEntry();
        return oldest == null ? 0 : Math.max(0, nowMillis - oldest.getValue());
    }
}
