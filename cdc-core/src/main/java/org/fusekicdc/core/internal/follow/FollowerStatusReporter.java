package org.fusekicdc.core.internal.follow;

import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.topic.TopicReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a follower reports of itself: its state, the versions it has seen and applied, its lag,
 * its last error and its contact with its topic ({@link TopicContact}). Builds its
 * {@link FollowerStatus}, and logs when it becomes cut off from its topic and when it hears again.
 */
final class FollowerStatusReporter {
    // The follower's logger: docs/replicas.md quotes these messages.
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);

    private final String dataset;
    private final ChangeLog log;
    private final TopicReader reader;
    private final BooleanSupplier running;
    private volatile FollowerState state = FollowerState.STARTING;
    private volatile long leaderVersion;
    private final UnappliedVersions unapplied = new UnappliedVersions();
    private final TopicContact contact = new TopicContact();
    // Whether the loop has logged that it is cut off from its topic: logged once, and once when it hears again.
    private boolean saidCutOff;
    private volatile String lastError;

    /** @param running whether the follower runs (not closed, not halted) */
    FollowerStatusReporter(String dataset, ChangeLog log, TopicReader reader, BooleanSupplier running) {
        this.dataset = dataset;
        this.log = log;
        this.reader = reader;
        this.running = running;
    }

    FollowerStatus status() {
        // Published, not head: a group's records are in the log before the store commits them.
        long applied = log.publishedVersion();
        long seen = Math.max(leaderVersion, applied);
        long now = log.config().clock().millis();
        long lag = unapplied.lagMillis(applied, now);
        long heard = contact.heardMillis();
        Instant lastHeard = heard < 0 ? null : Instant.ofEpochMilli(heard);
        FollowerState s = state;
        if ( !cutOff(s, now) )
            return new FollowerStatus(s, reader.describe(), applied, seen, seen - applied, lag, lastError, lastHeard, null);
        Instant since = Instant.ofEpochMilli(contact.lastHeardOrStartMillis());
        return new FollowerStatus(FollowerState.UNREACHABLE, reader.describe(), applied, seen, seen - applied, Math.max(lag, contact.silenceMillis(now)),
                                  cutOffMessage(since, now), lastHeard, since);
    }

    /** Waiting on its topic (first open included) and not hearing from it. */
    private boolean cutOff(FollowerState s, long now) {
        return (s == FollowerState.FOLLOWING || s == FollowerState.STARTING) && running.getAsBoolean() && contact.cutOff(now);
    }

    private String cutOffMessage(Instant since, long now) {
        String error = lastError;
        return "cut off from " + reader.describe() + " for " + Duration.ofMillis(now - since.toEpochMilli()).toSeconds() + " s"
               + (contact.heardMillis() < 0 ? " (never heard from it since following started at " + since + ")" : " (last heard at " + since + ")")
               + ": " + (error != null ? error : "reads return nothing and the broker does not confirm the end of the topic")
               + ". Check that the broker is running and reachable from this server at that address (network, firewall, DNS, TLS and credentials);"
               + " the follower keeps retrying and catches up once it is.";
    }

    /** Log when the follower becomes cut off from its topic, and when it hears from it again. */
    void sayIfCutOff() {
        FollowerStatus s = status();
        boolean cut = s.state() == FollowerState.UNREACHABLE;
        if ( cut && !saidCutOff )
            LOG.warn("Dataset '{}': follower at version {}: {}", dataset, s.appliedVersion(), s.lastError());
        else if ( !cut && saidCutOff )
            LOG.info("Dataset '{}': follower at version {} hears from {} again", dataset, s.appliedVersion(), reader.describe());
        saidCutOff = cut;
    }

    /** When the follower hears from its topic, and whether it waits on it. */
    TopicContact contact() {
        return contact;
    }

    FollowerState state() {
        return state;
    }

    void state(FollowerState state) {
        this.state = state;
    }

    /** The last failure (with what is done about it), or null once the follower goes on. */
    void lastError(String error) {
        lastError = error;
    }

    /** The topic holds {@code version}. */
    void leaderAt(long version) {
        leaderVersion = Math.max(leaderVersion, version);
    }

    /** The follower read {@code version}, which its leader committed at {@code leaderCommitMillis}, and applies it. */
    void reading(long version, long leaderCommitMillis) {
        unapplied.seen(version, leaderCommitMillis);
    }

    /** Readers see every version up to {@code publishedVersion}. */
    void appliedUpTo(long publishedVersion) {
        unapplied.appliedUpTo(publishedVersion);
    }
}
