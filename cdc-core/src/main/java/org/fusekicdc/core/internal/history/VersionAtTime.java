package org.fusekicdc.core.internal.history;

import java.time.Instant;

import org.fusekicdc.core.internal.log.ChangeLog;

/** Which version a dataset was at, at a time: the last version committed at or before it, found by bisection of the retained log. */
public final class VersionAtTime {
    private VersionAtTime() {}

    /** The answer: a version and its commit time. */
    public record Found(long version, Instant committed) {}

    /**
     * The last published version committed at or before {@code time}; null when that version is
     * older than the oldest retained patch (its commit time is no longer known). A log without
     * retained patches answers its head version, with a null commit time.
     */
    public static Found at(ChangeLog log, Instant time) {
        long lo = log.firstVersion();
        long hi = log.publishedVersion();
        if ( hi < lo )
            return new Found(hi, null);
        if ( commitTime(log, lo).isAfter(time) )
            return null;
        // Invariant: lo is committed at or before time; the answer is in [lo, hi].
        while ( lo < hi ) {
            long mid = lo + (hi - lo + 1) / 2;
            if ( commitTime(log, mid).isAfter(time) )
                hi = mid - 1;
            else
                lo = mid;
        }
        return new Found(lo, commitTime(log, lo));
    }

    public static Instant commitTime(ChangeLog log, long version) {
        return log.read(version).meta().commitTime();
    }
}
