package org.fusekicdc.core.internal.log;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Objects;

/**
 * Settings of one dataset's change log.
 *
 * @param directory    where the segment files live; created if absent
 * @param dataset      the dataset's name, recorded in the log so that a log is never used for another dataset
 * @param fsync        force each record to disk before the write is acknowledged (default true)
 * @param segmentBytes start a new segment file once the current one is this large (default 64 MiB)
 * @param retention    which old patches may be removed (default: keep all)
 * @param clock        the time of each record, which retention by age and lag are measured against (default: the system clock)
 */
public record ChangeLogConfig(Path directory, String dataset, boolean fsync, long segmentBytes, Retention retention, InstantSource clock) {
    public static final long DEFAULT_SEGMENT_BYTES = 64L * 1024 * 1024;

    public ChangeLogConfig {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(retention, "retention");
        Objects.requireNonNull(clock, "clock");
        if ( dataset == null || dataset.isBlank() )
            throw new IllegalArgumentException("Change log dataset name must not be empty");
        if ( segmentBytes < 1024 )
            throw new IllegalArgumentException("Change log segmentBytes must be at least 1024, got " + segmentBytes);
    }

    /** Settings on the system clock. */
    public ChangeLogConfig(Path directory, String dataset, boolean fsync, long segmentBytes, Retention retention) {
        this(directory, dataset, fsync, segmentBytes, retention, InstantSource.system());
    }

    /** Durable log with 64 MiB segments that keeps everything. */
    public static ChangeLogConfig defaults(Path directory, String dataset) {
        return new ChangeLogConfig(directory, dataset, true, DEFAULT_SEGMENT_BYTES, Retention.KEEP_ALL);
    }

    public ChangeLogConfig withFsync(boolean value) {
        return new ChangeLogConfig(directory, dataset, value, segmentBytes, retention, clock);
    }

    public ChangeLogConfig withSegmentBytes(long value) {
        return new ChangeLogConfig(directory, dataset, fsync, value, retention, clock);
    }

    public ChangeLogConfig withRetention(Retention value) {
        return new ChangeLogConfig(directory, dataset, fsync, segmentBytes, value, clock);
    }

    public ChangeLogConfig withDirectory(Path value) {
        return new ChangeLogConfig(value, dataset, fsync, segmentBytes, retention, clock);
    }

    public ChangeLogConfig withClock(InstantSource value) {
        return new ChangeLogConfig(directory, dataset, fsync, segmentBytes, retention, value);
    }
}
