package org.fusekicdc.core.internal.follow;

import java.time.Duration;

/**
 * When a follower last heard from its topic, and whether it is cut off from it. Hearing is a read
 * that returned a message, or an empty one that the broker confirmed is at the topic's end. A
 * follower waiting on its reader (polling, reopening it, waiting out a backoff) that has not
 * heard for longer than {@link #TOLERANCE} is cut off: its data is known complete only up to when
 * it last heard, so that time is a lower bound of its lag. Time spent applying patches does not
 * count as silence: the ages of the versions being applied already say how far behind it is.
 */
final class TopicContact {
    /** Silence allowed while waiting on the topic: a few idle polls, each of which may ask the broker where the end is. */
    static final Duration TOLERANCE = Duration.ofSeconds(3);

    // -1: not yet.
    private volatile long heardMillis = -1;
    private volatile long followingSinceMillis = -1;
    // -1: applying, not waiting on the reader.
    private volatile long waitingSinceMillis = -1;

    /** The follower starts reading its topic (first open, or again after loading a snapshot). */
    void following(long nowMillis) {
        followingSinceMillis = nowMillis;
        waitingSinceMillis = nowMillis;
    }

    /** A read succeeded: it returned a message, or confirmed the reader is at the end. */
    void heard(long nowMillis) {
        heardMillis = nowMillis;
    }

    /** The follower applies what it read, and does not wait on its reader meanwhile. */
    void applying() {
        waitingSinceMillis = -1;
    }

    /** The follower waits on its reader again. */
    void waiting(long nowMillis) {
        waitingSinceMillis = nowMillis;
    }

    /** Whether the follower, waiting on its topic, has heard nothing for longer than {@link #TOLERANCE}. */
    boolean cutOff(long nowMillis) {
        long waiting = waitingSinceMillis;
        return followingSinceMillis >= 0 && waiting >= 0 && nowMillis - Math.max(waiting, heardMillis) > TOLERANCE.toMillis();
    }

    /** The last time it heard from the topic; if it never has, when it started following; -1 before that. */
    long lastHeardOrStartMillis() {
        long heard = heardMillis;
        return heard >= 0 ? heard : followingSinceMillis;
    }

    /** The last time it heard from the topic, or -1 if it never has. */
    long heardMillis() {
        return heardMillis;
    }

    /** How long ago it last heard (or started following): the least its lag is while cut off. */
    long silenceMillis(long nowMillis) {
        long since = lastHeardOrStartMillis();
        return since < 0 ? 0 : Math.max(0, nowMillis - since);
    }
}
