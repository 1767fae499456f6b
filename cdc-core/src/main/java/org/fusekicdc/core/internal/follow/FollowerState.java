package org.fusekicdc.core.internal.follow;

/** Where a follower is. */
public enum FollowerState {
    /** Not started yet. */
    STARTING,
    /** Fetching and loading the leader's snapshot. */
    BOOTSTRAPPING,
    /** Reading and applying the leader's patches (or waiting for the broker after a failure, for a few seconds at most: see the last error). */
    FOLLOWING,
    /**
     * Following, but cut off from its topic: it has heard nothing from the broker for a few
     * seconds (broker down or unreachable, reads failing or stalled). It keeps retrying; its
     * lag is at least the time since it last heard. The last error says why and what to check.
     */
    UNREACHABLE,
    /** Stopped by a gap, a fork or a bad message; needs an operator (see the last error). */
    HALTED,
    /** Closed with the server. */
    STOPPED
}
