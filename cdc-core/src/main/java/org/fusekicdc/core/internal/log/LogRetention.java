package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the oldest whole segments of a change log that its retention policy lets go and that
 * every registered reader has acknowledged (unless the policy overrides readers). Never removes
 * the newest segment, nor the one holding the last published record.
 */
final class LogRetention {
    private static final Logger LOG = LoggerFactory.getLogger(LogRetention.class);

    private final ChangeLog log;

    LogRetention(ChangeLog log) {
        this.log = log;
    }

    /** See {@link ChangeLog#applyRetention}; the caller holds the log's write lock. */
    long apply() {
        Retention r = log.config().retention();
        if ( r.keepsEverything() )
            return 0;
        LogSegments segments = log.segments;
        String dataset = log.dataset();
        long removed = 0;
        long minAck = Long.MAX_VALUE;
        for ( ReaderCursor c : log.readers() )
            minAck = Math.min(minAck, c.acknowledged());
        long now = log.config().clock().millis();
        long total = segments.sizeBytes();
        long headV = log.headVersion();
        long publishedVersion = log.publishedVersion();
        while ( segments.count() > 1 ) {
            Segment oldest = segments.oldest();
            long last = oldest.lastVersion();
            // Keep the segment holding the last published record: the next append takes its id as prev,
            // and it is what an undo of a pending record falls back to.
            if ( oldest.count() == 0 || last >= publishedVersion )
                break;
            boolean byVersions = r.maxVersions() > 0 && headV - last >= r.maxVersions();
            boolean byAge = r.maxAge() != null && committedBefore(last, now - r.maxAge().toMillis());
            boolean bySize = r.maxBytes() > 0 && total > r.maxBytes();
            if ( !(byVersions || byAge || bySize) )
                break;
            if ( last > minAck && !r.overrideReaders() ) {
                LOG.info("Dataset '{}': retention would remove versions {}..{} but a registered reader has acknowledged only up to {}; keeping them",
                         dataset, oldest.firstVersion(), last, minAck);
                break;
            }
            if ( last > minAck )
                LOG.warn("Dataset '{}': retention removes versions {}..{} although a reader has acknowledged only up to {} (retention overrides readers)",
                         dataset, oldest.firstVersion(), last, minAck);
            try {
                total -= oldest.sizeBytes();
                segments.deleteOldest();
            } catch (IOException ex) {
                LOG.warn("Dataset '{}': retention could not delete {}: {}", dataset, oldest.file(), ex.toString());
                break;
            }
            removed += oldest.count();
            LOG.info("Dataset '{}': retention removed versions {}..{}", dataset, oldest.firstVersion(), last);
        }
        return removed;
    }

    /** See {@link ChangeLog#bytesKeptFor}. */
    long bytesKeptFor(long version) {
        List<Segment> all = log.segments.all();
        long total = 0;
        for ( Segment s : all.subList(0, Math.max(0, all.size() - 1)) ) {
            if ( s.count() > 0 && s.lastVersion() > version )
                total += s.sizeBytes();
        }
        return total;
    }

    private boolean committedBefore(long version, long timeMillis) {
        try {
            return log.read(version).meta().timestamp() < timeMillis;
        } catch (DamagedRecordException ex) {
            return false;   // its time is unknown: age alone does not remove it
        }
    }
}
