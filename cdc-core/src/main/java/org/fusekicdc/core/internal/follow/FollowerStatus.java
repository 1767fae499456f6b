package org.fusekicdc.core.internal.follow;

/**
 * A follower at one moment.
 *
 * @param state          where it is
 * @param topic          what it reads (topic or subject, servers)
 * @param appliedVersion the last version applied here that readers see (this dataset's published version)
 * @param leaderVersion  the highest version seen on the topic
 * @param lagVersions    versions seen but not yet applied
 * @param lagMillis      for the last patch applied: from the leader's commit to the commit here
 * @param lastError      the last failure, or null; for {@link FollowerState#HALTED}, why it stopped and the fix
 */
public record FollowerStatus(FollowerState state, String topic, long appliedVersion, long leaderVersion, long lagVersions,
                             long lagMillis, String lastError) {}
