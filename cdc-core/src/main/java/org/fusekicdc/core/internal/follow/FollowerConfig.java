package org.fusekicdc.core.internal.follow;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

/**
 * How a follower treats its leader's patches.
 *
 * @param leaderDataset         the leader's dataset name (the records' key, the patches' {@code dataset} header)
 * @param onBadMessage          what a message that is not a patch of the leader's dataset does
 * @param onGap                 what a gap, a fork or diverged data does
 * @param deadLetterDirectory   where {@link OnBadMessage#DEAD_LETTER} puts such messages
 * @param snapshotUrl           the leader's snapshot endpoint, used when the follower starts empty; null to follow from version 1
 * @param snapshotAuthorization value of the Authorization header sent for the snapshot, or null
 * @param leaderUrl             where clients should send writes, named in the refusal of a write; null if not known
 * @param initialBackoff        first delay after a broker or leader failure; doubled each time, with jitter
 * @param maxBackoff            longest such delay
 * @param maxGroupVersions      most leader versions applied in one store transaction when the
 *                              follower is behind; 1 applies each in its own
 */
public record FollowerConfig(String leaderDataset, OnBadMessage onBadMessage, OnGap onGap, Path deadLetterDirectory, URI snapshotUrl,
                             String snapshotAuthorization, String leaderUrl, Duration initialBackoff, Duration maxBackoff,
                             int maxGroupVersions) {
    /** The default of {@link #maxGroupVersions}. */
    public static final int DEFAULT_MAX_GROUP_VERSIONS = 1000;

    /** With the default {@link #maxGroupVersions}. */
    public FollowerConfig(String leaderDataset, OnBadMessage onBadMessage, OnGap onGap, Path deadLetterDirectory, URI snapshotUrl,
                          String snapshotAuthorization, String leaderUrl, Duration initialBackoff, Duration maxBackoff) {
        this(leaderDataset, onBadMessage, onGap, deadLetterDirectory, snapshotUrl, snapshotAuthorization, leaderUrl, initialBackoff, maxBackoff,
             DEFAULT_MAX_GROUP_VERSIONS);
    }

    /** This configuration with {@link #maxGroupVersions} set. */
    public FollowerConfig withMaxGroupVersions(int max) {
        return new FollowerConfig(leaderDataset, onBadMessage, onGap, deadLetterDirectory, snapshotUrl, snapshotAuthorization, leaderUrl,
                                  initialBackoff, maxBackoff, max);
    }

    /** What happens to a message that is not a patch of the leader's dataset, or cannot be read as one. */
    public enum OnBadMessage {
        /** Stop following, with an error naming the message; the dataset stays at the last applied version. */
        HALT,
        /** Write the message to the dead-letter directory and go on. */
        DEAD_LETTER
    }

    /** What happens when the follower cannot continue from its own history: versions missing from the leader's topic, a forked chain, diverged data. */
    public enum OnGap {
        /** Stop following, with the cause and the fix; the dataset stays at the last applied version and keeps serving reads. */
        HALT,
        /** Replace the dataset and its history with a new snapshot of the leader and follow on from there. */
        RESYNC
    }

    public FollowerConfig {
        if ( maxGroupVersions < 1 )
            throw new IllegalArgumentException("maxGroupVersions must be at least 1, got " + maxGroupVersions);
        if ( onGap == OnGap.RESYNC && snapshotUrl == null )
            throw new IllegalArgumentException("onGap RESYNC needs a snapshot URL");
        if ( onBadMessage == OnBadMessage.DEAD_LETTER && deadLetterDirectory == null )
            throw new IllegalArgumentException("onBadMessage DEAD_LETTER needs a dead-letter directory");
    }
}
