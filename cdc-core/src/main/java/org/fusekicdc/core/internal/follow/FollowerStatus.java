package org.fusekicdc.core.internal.follow;

import java.time.Instant;

/**
 * A follower at one moment.
 *
 * @param state          where it is
 * @param topic          what it reads (topic or subject, servers)
 * @param appliedVersion the last version applied here that readers see (this dataset's published version)
 * @param leaderVersion  the highest version seen on the topic
 * @param lagVersions    versions seen but not yet applied
 * @param lagMillis      how long ago the leader committed the oldest version read from the topic
 *                       that readers here do not see yet (by this server's clock); 0 when every
 *                       version read is applied; while {@link FollowerState#UNREACHABLE}, at least
 *                       the time since it last heard from the topic
 * @param lastError      the last failure, or null; for {@link FollowerState#HALTED}, why it stopped and the fix; for
 *                       {@link FollowerState#UNREACHABLE}, since when, the broker's address, the cause and what to check
 * @param lastHeard      when a read of the topic last succeeded (returned a patch, or confirmed it was at the end); null if none has
 * @param unreachableSince while {@link FollowerState#UNREACHABLE}, since when its data may lack the leader's versions: when
 *                       it last heard from the topic, or started following if it never has; null otherwise
 */
public record FollowerStatus(FollowerState state, String topic, long appliedVersion, long leaderVersion, long lagVersions,
                             long lagMillis, String lastError, Instant lastHeard, Instant unreachableSince) {}
