package org.fusekicdc.core.internal.follow;

/** Where a follower is. */
public enum FollowerState {
    /** Not started yet. */
    STARTING,
    /** Fetching and loading the leader's snapshot. */
    BOOTSTRAPPING,
    /** Reading and applying the leader's patches (or waiting for the broker after a failure: see the last error). */
    FOLLOWING,
    /** Stopped by a gap, a fork or a bad message; needs an operator (see the last error). */
    HALTED,
    /** Closed with the server. */
    STOPPED
}
