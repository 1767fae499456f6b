package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only way to change a {@link ChangeLog}'s records: the two-step append matching the
 * store's commit, the follower's append of a leader's record, start-up recovery's removal of a
 * record whose commit never happened, and the rebase onto a snapshot.
 * <p>
 * Each open log has one writer, {@linkplain #claim claimed} once: the capture layer claims it
 * when it wraps the dataset and hands it to snapshot loading and following. Sinks, feeds and
 * live queries are given the {@link ChangeLog}, which has no way back to its writer.
 * <p>
 * Writing is two-step: {@link #append} makes a record durable but leaves it <em>pending</em>;
 * after the store has committed, {@link #publish} makes it visible to readers, or, if the
 * store's commit failed, {@link #undoAppend} removes it. One append can be pending at a time,
 * or one group of them ({@link #beginGroup}): records a follower appends for one store
 * transaction, made durable together by {@link #syncGroup} and published or undone together.
 * The caller guarantees this by holding a lock from append to publish.
 */
public final class LogWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);

    private final ChangeLog log;
    private final String dataset;
    private RecordMeta pending;                // last pending record; guarded by log.writeLock
    private RecordMeta pendingFirst;           // first pending record (the same, unless a group is pending)
    private ChangeLog.Group group;             // the open group, or null
    // One buffer for every record's body: appends are one at a time (under log.writeLock), and a
    // buffer per append would be most of what a small commit allocates.
    private final byte[] appendBuffer = new byte[Segment.IO_BUFFER];

    private LogWriter(ChangeLog log) {
        this.log = log;
        this.dataset = log.dataset();
    }

    /**
     * The writer of {@code log}; each open log gives out its writer once.
     *
     * @throws IllegalStateException if the log's writer was claimed already (by the capture layer
     *         wrapping its dataset)
     */
    public static LogWriter claim(ChangeLog log) {
        if ( !log.claimWriter() )
            throw new IllegalStateException("Dataset '" + log.dataset() + "': the change log " + log.config().directory()
                                            + " already has its writer (the capture layer of its dataset); write through the dataset instead");
        return new LogWriter(log);
    }

    /** The log this writer changes. */
    public ChangeLog log() {
        return log;
    }

    /**
     * Write a new record, durable when this returns (if fsync is on) but not yet visible to
     * readers. The log chooses the version (head + 1), a fresh id, the previous id and the time.
     * If the writer throws, nothing is left in the log.
     */
    public RecordMeta append(PayloadWriter writer) {
        synchronized (log.writeLock) {
            long version = log.headVersion() + 1;
            return appendRecord(new RecordMeta(version, UUID.randomUUID(), log.headId(), log.config().clock().millis()), writer);
        }
    }

    /**
     * Append a record another log already holds under this identity: a follower applying its
     * leader's patch keeps the leader's version, id, previous id and time, so that its log is
     * the leader's. Otherwise as {@link #append}.
     *
     * @throws ChangeLogException if the record does not continue this log: its version is not
     *         head + 1 (a gap), or its previous id is not the head's id (a fork)
     */
    public RecordMeta appendReplica(RecordMeta record, PayloadWriter writer) {
        synchronized (log.writeLock) {
            long expected = log.headVersion() + 1;
            if ( record.version() != expected )
                throw new ChangeLogException("Dataset '" + dataset + "': patch version " + record.version() + " (id " + record.id()
                                             + ") does not continue the change log, whose next version is " + expected);
            if ( !Objects.equals(record.prevId(), log.headId()) )
                throw new ChangeLogException("Dataset '" + dataset + "': patch version " + record.version() + " follows patch " + record.prevId()
                                             + " but this log's version " + log.headVersion() + " is patch " + log.headId() + ": the histories have forked");
            return appendRecord(record, writer);
        }
    }

    /**
     * Announce, durably, that the records from {@code first} (a leader's record) up to version
     * {@code lastVersion} will be appended for one store transaction: each is then appended
     * with {@link #appendReplica} without its own fsync, {@link #syncGroup} makes them durable
     * before the store commits, and {@link #publish} of the last (or {@link #undoAppend})
     * ends the group. After a crash, recovery finds the group here and decides its records
     * together (see {@link ChangeLog#lastGroup}).
     */
    public void beginGroup(RecordMeta first, long lastVersion) {
        synchronized (log.writeLock) {
            log.checkOpen();
            if ( pending != null || group != null )
                throw new IllegalStateException("Dataset '" + dataset + "': version " + log.headVersion() + " is still pending; cannot begin a group");
            if ( first.version() != log.headVersion() + 1 || lastVersion < first.version() )
                throw new IllegalArgumentException("Dataset '" + dataset + "': a group of versions " + first.version() + ".." + lastVersion
                                                   + " does not continue the change log at version " + log.headVersion());
            ChangeLog.Group g = new ChangeLog.Group(first.version(), first.id(), lastVersion);
            log.metadata.markGroup(g);
            group = g;
        }
    }

    /** Make the open group's records durable (one fsync for all of them). */
    public void syncGroup() {
        synchronized (log.writeLock) {
            if ( group == null )
                throw new IllegalStateException("Dataset '" + dataset + "': no group is open");
            if ( !log.config().fsync() )
                return;
            try {
                log.segments.newest().force();
            } catch (IOException ex) {
                throw new ChangeLogException("Dataset '" + dataset + "': cannot force versions " + group.firstVersion() + ".." + log.headVersion()
                                             + " to disk in " + log.config().directory() + ": " + ex + ". Nothing was applied; check the disk.", ex);
            }
        }
    }

    private RecordMeta appendRecord(RecordMeta meta, PayloadWriter writer) {
        log.checkOpen();
        long version = meta.version();
        boolean inGroup = group != null;
        if ( inGroup ? version > group.lastVersion() : pending != null )
            throw new IllegalStateException("Dataset '" + dataset + "': version " + log.headVersion() + " is still pending"
                                            + (inGroup ? " and version " + version + " is past the open group's last, " + group.lastVersion()
                                                       : "; publish or undo it before appending another"));
        ChangeLogConfig config = log.config();
        if ( pending == null )
            log.unpublished = meta;     // before the write: the stamp is taken, the record not yet the head
        // In a group, one fsync at syncGroup covers the newest segment; an earlier one is forced as it fills.
        boolean fsync = config.fsync() && !inGroup;
        boolean written = false;
        try {
            Segment filled = log.segments.newest();
            Segment rolled = log.segments.rollIfFull(version, config.segmentBytes(), config.fsync());
            if ( rolled != null ) {
                if ( inGroup && config.fsync() )
                    filled.force();
                log.applyRetention();
            }
            log.segments.newest().append(meta, writer, fsync, appendBuffer);
            written = true;
        } catch (IOException ex) {
            throw cannotWrite(version, ex);
        } catch (UncheckedIOException ex) {
            // The patch's text writer reports the segment's write failure so.
            throw cannotWrite(version, ex.getCause());
        } finally {
            // Whatever the failure (the payload writer's too), a record not written holds no reader's clock back.
            if ( !written && pending == null )
                log.unpublished = null;
        }
        if ( pending == null )
            pendingFirst = meta;
        pending = meta;
        log.head = meta;
        return meta;
    }

    /** Make the pending record (or the open group's records, up to this last one) visible to readers: the store has committed it. */
    public void publish(long version) {
        synchronized (log.writeLock) {
            requirePending(version);
            pending = null;
            pendingFirst = null;
            group = null;
            log.publishedVersion = version;
            log.unpublished = null;     // after: a reader that saw it still sees the version published
        }
        log.signalPublished();
    }

    /**
     * Remove the pending record (or all the open group's records; {@code version} is the last):
     * the store's commit failed, or was not tried, so they must not survive.
     */
    public void undoAppend(long version) {
        synchronized (log.writeLock) {
            requirePending(version);
            UUID id = pending.id();
            long first = pendingFirst.version();
            while ( log.headVersion() >= first )
                removeLastRecord();
            pending = null;
            pendingFirst = null;
            log.unpublished = null;
            if ( group != null ) {
                // After the records are gone: a crash in between leaves a marker that start-up clears.
                log.metadata.clearGroup();
                group = null;
            }
            LOG.warn("Dataset '{}': {} (last patch {}) removed from the change log because the store did not commit {}", dataset,
                     first == version ? "version " + version : "versions " + first + ".." + version, id, first == version ? "it" : "them");
        }
    }

    /** Close a group in which nothing was appended, forgetting it (records appended later one at a time are not in it). */
    public void endEmptyGroup() {
        synchronized (log.writeLock) {
            if ( pending != null )
                throw new IllegalStateException("Dataset '" + dataset + "': version " + pending.version() + " is pending; publish or undo it");
            log.metadata.clearGroup();
            group = null;
        }
    }

    /**
     * Remove the last record after start-up recovery found that its transaction never committed.
     * Only allowed before anything has been appended in this process.
     */
    public void removeLast(long version) {
        synchronized (log.writeLock) {
            log.checkOpen();
            RecordMeta head = log.head();
            if ( pending != null || head == null || head.version() != version )
                throw new IllegalStateException("Dataset '" + dataset + "': removeLast(" + version + ") but the head is "
                                                + log.headVersion() + (pending != null ? " (pending)" : ""));
            removeLastRecord();
            log.publishedVersion = log.headVersion();
        }
    }

    private ChangeLogException cannotWrite(long version, IOException ex) {
        return new ChangeLogException("Dataset '" + dataset + "': cannot write version " + version + " to the change log in " + log.config().directory()
                                      + ": " + ex + ". The write was not applied. Free disk space or fix the directory's permissions.", ex);
    }

    private void removeLastRecord() {
        try {
            log.segments.truncateLast(log.config().fsync());
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot remove the last record from " + log.segments.newest().file()
                                         + ": " + ex + ". Stop the server and check the disk; on restart recovery will decide the record.", ex);
        }
        log.head = log.segments.lastMeta();
    }

    private void requirePending(long version) {
        if ( pending == null || pending.version() != version )
            throw new IllegalStateException("Dataset '" + dataset + "': version " + version + " is not the pending record ("
                                            + (pending == null ? "none pending" : "pending " + pending.version()) + ")");
    }

    /** Forget the last group after start-up recovery has decided its records: none is in doubt any more. */
    public void forgetGroup() {
        synchronized (log.writeLock) {
            log.checkOpen();
            log.metadata.clearGroup();
        }
    }

    /** Record, durably, which history this log holds. */
    public void recordHistory(History value) {
        synchronized (log.writeLock) {
            log.checkOpen();
            log.metadata.recordHistory(value);
        }
    }

    /**
     * Announce, durably, that the dataset is about to be replaced by a snapshot: until
     * {@link #rebase} completes it, start-up recovery leaves the last record alone (the data may be
     * neither its version nor the snapshot's) and the loader must load the snapshot again.
     */
    public void markRebase(long version, UUID id, Path snapshotFile) {
        synchronized (log.writeLock) {
            log.checkOpen();
            log.metadata.markRebase(version, id, snapshotFile);
        }
    }

    /**
     * Discard every record and continue after a snapshot: the next record will be version
     * {@code version + 1}, following the patch with id {@code id}. Completes a
     * {@link #markRebase}. Durable when this returns. Readers asking for a discarded version get
     * {@link VersionGoneException}.
     */
    public void rebase(long version, UUID id) {
        synchronized (log.writeLock) {
            log.checkOpen();
            if ( pending != null || group != null )
                throw new IllegalStateException("Dataset '" + dataset + "': version " + log.headVersion() + " is pending; cannot rebase");
            if ( version < 1 )
                throw new IllegalArgumentException("snapshot version must be at least 1, got " + version);
            long discardedHead = log.headVersion();
            try {
                // Segments first: a crash before the properties are written leaves the rebase pending, and it is done again.
                log.segments.restartAt(version + 1);
                log.metadata.rebased(version, id);
            } catch (IOException ex) {
                throw new ChangeLogException("Dataset '" + dataset + "': cannot start the change log after version " + version + " in "
                                             + log.config().directory() + ": " + ex + ". Restart the server: the snapshot load is done again.", ex);
            }
            log.head = null;
            log.publishedVersion = version;
            if ( discardedHead > 0 )
                LOG.warn("Dataset '{}': change log rebased: versions up to {} discarded; it continues after version {} (patch {})",
                         dataset, discardedHead, version, id);
            else
                LOG.info("Dataset '{}': change log starts after version {} (patch {})", dataset, version, id);
        }
        log.signalPublished();
    }
}
