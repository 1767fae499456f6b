package org.fusekicdc.core.internal.log;

import java.time.Duration;

/**
 * Which old patches the log may remove. A limit of zero (or a null age) means no limit; with
 * no limit at all, the log keeps everything. Only whole segments are removed, oldest first, and
 * never the segment being written.
 *
 * @param maxVersions     keep at least this many most recent versions
 * @param maxAge          keep patches younger than this
 * @param maxBytes        keep the log below this many bytes
 * @param overrideReaders remove patches even if a registered reader has not acknowledged them
 */
public record Retention(long maxVersions, Duration maxAge, long maxBytes, boolean overrideReaders) {
    public static final Retention KEEP_ALL = new Retention(0, null, 0, false);

    public Retention {
        if ( maxVersions < 0 )
            throw new IllegalArgumentException("Retention maxVersions must be >= 0 (0 = no limit), got " + maxVersions);
        if ( maxBytes < 0 )
            throw new IllegalArgumentException("Retention maxBytes must be >= 0 (0 = no limit), got " + maxBytes);
        if ( maxAge != null && (maxAge.isNegative() || maxAge.isZero()) )
            throw new IllegalArgumentException("Retention maxAge must be positive, got " + maxAge);
    }

    public boolean keepsEverything() {
        return maxVersions == 0 && maxAge == null && maxBytes == 0;
    }
}
