package org.fusekicdc.core.internal.capture;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How a dataset's transactions are captured.
 *
 * @param spillThreshold   a transaction's net changes are kept in memory up to this many quads;
 *                         past it they go to sorted files on disk (default 50,000)
 * @param spillDirectory   where those files go
 * @param commitAttributes extra headers (user, request id) for the committing thread
 */
public record CaptureConfig(int spillThreshold, Path spillDirectory, CommitAttributes commitAttributes) {
    public static final int DEFAULT_SPILL_THRESHOLD = 50_000;

    public CaptureConfig {
        Objects.requireNonNull(spillDirectory, "spillDirectory");
        Objects.requireNonNull(commitAttributes, "commitAttributes");
        if ( spillThreshold < 1 )
            throw new IllegalArgumentException("spillThreshold must be at least 1, got " + spillThreshold);
    }

    public static CaptureConfig defaults(Path spillDirectory) {
        return new CaptureConfig(DEFAULT_SPILL_THRESHOLD, spillDirectory, CommitAttributes.NONE);
    }

    public CaptureConfig withSpillThreshold(int value) {
        return new CaptureConfig(value, spillDirectory, commitAttributes);
    }

    public CaptureConfig withCommitAttributes(CommitAttributes value) {
        return new CaptureConfig(spillThreshold, spillDirectory, value);
    }
}
