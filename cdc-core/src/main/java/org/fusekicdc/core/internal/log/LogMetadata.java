package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a change log knows about itself besides its records, kept in its properties file: the
 * snapshot it continues after (base), a snapshot load under way (rebase), which history it
 * holds, and the last group of records appended for one store transaction. Changes are written to the file before they are taken here, so a crash leaves the
 * file as the truth.
 */
final class LogMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(LogMetadata.class);
    private static final String BASE_VERSION = "baseVersion";
    private static final String BASE_ID = "baseId";
    private static final String REBASE_VERSION = "rebaseVersion";
    private static final String REBASE_ID = "rebaseId";
    private static final String REBASE_FILE = "rebaseFile";
    private static final String GROUP_FIRST_VERSION = "groupFirstVersion";
    private static final String GROUP_FIRST_ID = "groupFirstId";
    private static final String GROUP_LAST_VERSION = "groupLastVersion";

    private final String dataset;
    private final Path dir;
    // Id of the version before the first record of a log started from a snapshot (rebase); null otherwise.
    private volatile UUID baseId;
    private volatile long baseVersion;
    private volatile History history;          // null for a log written before histories were recorded
    // A snapshot load under way (markRebase), until rebase completes it.
    private volatile ChangeLog.Rebase pendingRebase;
    // The last group announced (markGroup); kept after its commit, since recovery checks it against the records.
    private volatile ChangeLog.Group group;

    LogMetadata(String dataset, Path dir) {
        this.dataset = dataset;
        this.dir = dir;
    }

    /** Read the properties file; the directory's owner has been checked. */
    void load() {
        Properties meta = LogProperties.read(dir, dataset);
        if ( meta.getProperty(BASE_ID) != null ) {
            baseVersion = Long.parseLong(meta.getProperty(BASE_VERSION));
            baseId = UUID.fromString(meta.getProperty(BASE_ID));
        }
        history = LogProperties.history(meta);
        if ( meta.getProperty(GROUP_FIRST_ID) != null )
            group = new ChangeLog.Group(Long.parseLong(meta.getProperty(GROUP_FIRST_VERSION)), UUID.fromString(meta.getProperty(GROUP_FIRST_ID)),
                                        Long.parseLong(meta.getProperty(GROUP_LAST_VERSION)));
        if ( meta.getProperty(REBASE_ID) != null ) {
            pendingRebase = new ChangeLog.Rebase(Long.parseLong(meta.getProperty(REBASE_VERSION)), UUID.fromString(meta.getProperty(REBASE_ID)),
                                                 Path.of(meta.getProperty(REBASE_FILE)));
            LOG.warn("Dataset '{}': a snapshot load (version {}, from {}) was interrupted; the dataset is incomplete until it is loaded again",
                     dataset, pendingRebase.version(), pendingRebase.snapshotFile());
        }
    }

    /** The id of the snapshot version this log continues after; null for a log that did not start from one. */
    UUID baseId() {
        return baseId;
    }

    long baseVersion() {
        return baseVersion;
    }

    History history() {
        return history;
    }

    ChangeLog.Rebase pendingRebase() {
        return pendingRebase;
    }

    ChangeLog.Group group() {
        return group;
    }

    /** Record, durably, that the records of {@code value} are about to be appended for one store transaction. */
    void markGroup(ChangeLog.Group value) {
        Properties meta = LogProperties.read(dir, dataset);
        meta.setProperty(GROUP_FIRST_VERSION, Long.toString(value.firstVersion()));
        meta.setProperty(GROUP_FIRST_ID, value.firstId().toString());
        meta.setProperty(GROUP_LAST_VERSION, Long.toString(value.lastVersion()));
        try {
            LogProperties.write(dir, meta);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot record a group of versions " + value.firstVersion() + ".."
                                         + value.lastVersion() + " in " + dir + ": " + ex + ". Nothing was applied; free disk space.", ex);
        }
        group = value;
    }

    /**
     * Forget the last group, durably: once its records were removed without a commit (or
     * decided at start-up, or replaced by a rebase), later records in its range are not a group.
     */
    void clearGroup() {
        if ( group == null )
            return;
        Properties meta = LogProperties.read(dir, dataset);
        meta.remove(GROUP_FIRST_VERSION);
        meta.remove(GROUP_FIRST_ID);
        meta.remove(GROUP_LAST_VERSION);
        try {
            LogProperties.write(dir, meta);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot update " + dir + ": " + ex + ". Check the disk.", ex);
        }
        group = null;
    }

    void recordHistory(History value) {
        LogProperties.recordHistory(dir, dataset, value);
        history = value;
    }

    /** Record, durably, that a snapshot load is under way. */
    void markRebase(long version, UUID id, Path snapshotFile) {
        Properties meta = LogProperties.read(dir, dataset);
        meta.setProperty(REBASE_VERSION, Long.toString(version));
        meta.setProperty(REBASE_ID, id.toString());
        meta.setProperty(REBASE_FILE, snapshotFile.toAbsolutePath().toString());
        try {
            LogProperties.write(dir, meta);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot record a snapshot load in " + dir + ": " + ex, ex);
        }
        pendingRebase = new ChangeLog.Rebase(version, id, snapshotFile.toAbsolutePath());
    }

    /** Record, durably, that the log now continues after snapshot {@code version}, and that no load is under way. */
    void rebased(long version, UUID id) throws IOException {
        Properties meta = LogProperties.read(dir, dataset);
        meta.setProperty(BASE_VERSION, Long.toString(version));
        meta.setProperty(BASE_ID, id.toString());
        meta.remove(REBASE_VERSION);
        meta.remove(REBASE_ID);
        meta.remove(REBASE_FILE);
        meta.remove(GROUP_FIRST_VERSION);
        meta.remove(GROUP_FIRST_ID);
        meta.remove(GROUP_LAST_VERSION);
        LogProperties.write(dir, meta);
        group = null;
        baseId = id;
        baseVersion = version;
        pendingRebase = null;
    }
}
