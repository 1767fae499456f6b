package org.fusekicdc.fuseki.runtime;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonString;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.FollowerState;
import org.fusekicdc.core.internal.follow.FollowerStatus;

/**
 * How far one server's copy of a dataset is behind its leader, as readiness checks and refused
 * reads report it.
 *
 * @param role          {@code leader} or {@code follower}
 * @param state         the runtime's state on a leader, the follower's state on a follower
 * @param serving       whether it serves reads as it should: a started leader, a following follower
 * @param version       the version a read transaction begun now shows
 * @param leaderVersion the newest version of the leader this server knows of (its own on a leader)
 * @param lagVersions   versions of the leader known here that readers do not see yet
 * @param lagMillis     how long ago the leader committed the oldest of them; 0 when there is none; on a follower cut off
 *                      from its topic, at least the time since it last heard from it
 * @param reason        why a follower does not serve as it should (cut off from its topic, halted), or null
 */
public record ReplicaLag(String role, String state, boolean serving, long version, long leaderVersion, long lagVersions, long lagMillis,
                         String reason) {

    /** The lag of {@code runtime} now. */
    public static ReplicaLag of(DatasetRuntime runtime) {
        return runtime.follower().map(f -> ofFollower(runtime.dataset(), f.status()))
                      .orElseGet(() -> ofLeader(runtime.dataset(), runtime.state() == DatasetRuntime.State.STARTED, runtime.state().name()));
    }

    /** A leader's: never behind itself. */
    public static ReplicaLag ofLeader(CapturingDatasetGraph dsg, boolean serving, String state) {
        long version = visibleVersion(dsg);
        return new ReplicaLag("leader", state, serving, version, version, 0, 0, null);
    }

    private static ReplicaLag ofFollower(CapturingDatasetGraph dsg, FollowerStatus s) {
        long version = visibleVersion(dsg);
        long leader = Math.max(s.leaderVersion(), version);
        boolean serving = s.state() == FollowerState.FOLLOWING;
        // Cut off, it cannot know of the leader's newer versions: the time since it last heard is its lag even with none known.
        long lagMillis = leader == version && s.state() != FollowerState.UNREACHABLE ? 0 : s.lagMillis();
        return new ReplicaLag("follower", s.state().name(), serving, version, leader, leader - version, lagMillis, serving ? null : s.lastError());
    }

    /** The version a read transaction begun now shows: what queries see, never a version still being committed. */
    static long visibleVersion(CapturingDatasetGraph dsg) {
        try {
            return dsg.beginReadAtKnownVersion();
        } finally {
            dsg.end();
        }
    }

    /** The figures as JSON members, without braces: {@code "role":...,"lagMillis":N}, then {@code "reason"} if there is one. */
    public String jsonMembers() {
        return "\"role\":\"" + role + "\",\"state\":\"" + state + "\",\"version\":" + version + ",\"leaderVersion\":" + leaderVersion
               + ",\"lagVersions\":" + lagVersions + ",\"lagMillis\":" + lagMillis
               + (reason == null ? "" : ",\"reason\":" + JSON.toStringFlat(new JsonString(reason)));
    }
}
