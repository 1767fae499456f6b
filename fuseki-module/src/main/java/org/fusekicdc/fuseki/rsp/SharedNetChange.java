package org.fusekicdc.fuseki.rsp;

import org.fusekicdc.core.internal.history.AsOfRead;
import org.fusekicdc.core.internal.history.NetChange;
import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * The net change last read, kept for the next reader of the same versions: the continuous
 * queries of one step each read the dataset at the step's version, and while the feeder is
 * behind the head that is an as-of read, which would otherwise read every patch from there to
 * the head again for each query. Holds one net change (at most {@code maxChangedQuads} quads).
 */
final class SharedNetChange implements AsOfRead.NetChanges {
    private final ChangeLog log;
    private final long maxChangedQuads;
    private NetChange last;
    private long reads;

    SharedNetChange(ChangeLog log, long maxChangedQuads) {
        this.log = log;
        this.maxChangedQuads = maxChangedQuads;
    }

    @Override
    public synchronized NetChange between(long after, long until) {
        if ( last != null && last.after() == after && last.until() == until )
            return last;
        last = NetChange.between(log, after, until, maxChangedQuads);
        reads++;
        return last;
    }

    /** How many times the log was read for a net change. */
    synchronized long reads() {
        return reads;
    }
}
