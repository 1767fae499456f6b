package org.fusekicdc.core.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.metrics.CdcObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable, ordered change log of one dataset: an append-only sequence of patches numbered
 * 1, 2, 3, ... without gaps, kept in checksummed segment files.
 * <p>
 * Writing is two-step, matching the store's commit: {@link #append} makes a record durable but
 * leaves it <em>pending</em>; after the store has committed, {@link #publish} makes it visible to
 * readers, or, if the store's commit failed, {@link #undoAppend} removes it. One append can be
 * pending at a time; the capture layer guarantees this by holding a lock from append to publish
 * (the stores it wraps admit one writer at a time, but let the next one in as soon as their
 * commit returns). Readers only ever see published records.
 * <p>
 * After a crash the last record may be one whose store commit never happened; the capture layer
 * decides that by looking at the data (see {@code CommitRecovery}) and calls {@link #removeLast}.
 */
public final class ChangeLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);
    private static final String LOCK_FILE = "changelog.lock";
    static final String READERS_DIR = "readers";
    private static final String BASE_VERSION = "baseVersion";
    private static final String BASE_ID = "baseId";
    private static final String REBASE_VERSION = "rebaseVersion";
    private static final String REBASE_ID = "rebaseId";
    private static final String REBASE_FILE = "rebaseFile";

    private final ChangeLogConfig config;
    private final String dataset;
    private final Path dir;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final Map<String, ReaderCursor> readers = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final Object publishSignal = new Object();
    private final List<Runnable> publishListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private volatile RecordMeta head;          // last record in the log, pending or not
    // Id of the version before the first record of a log started from a snapshot (rebase); null otherwise.
    private volatile UUID baseId;
    private volatile long baseVersion;
    private volatile History history;          // null for a log written before histories were recorded
    // A snapshot load under way (markRebase), until rebase completes it.
    private volatile Rebase pendingRebase;
    private volatile long publishedVersion;    // last record readers may see
    private RecordMeta pending;                // guarded by writeLock
    private volatile boolean closed;
    private volatile CdcObserver observer = CdcObserver.NONE;
    private volatile LogDamage damage;         // the last damaged record a read found; null when none

    private ChangeLog(ChangeLogConfig config, FileChannel lockChannel, FileLock lock) {
        this.config = config;
        this.dataset = config.dataset();
        this.dir = config.directory();
        this.lockChannel = lockChannel;
        this.lock = lock;
    }

    /**
     * Open (creating if needed) the log in {@code config.directory()}. A torn last record (an
     * append a crash interrupted) is cut off with a warning; a damaged record anywhere, a missing
     * segment, a log of another dataset, or a log already open in another process stops with an
     * exception saying what to do. Whether the log belongs to the store beside it is
     * {@code StoreHistory}'s to check.
     *
     * @throws DamagedRecordException for a damaged record or a missing segment
     */
    public static ChangeLog open(ChangeLogConfig config) {
        Path dir = config.directory().toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (AccessDeniedException ex) {
            throw new CdcConfigException("Dataset '" + config.dataset() + "': cannot create the change log directory " + dir
                                         + ": permission denied. Create it and give the Fuseki user write access to it,"
                                         + " or set cdc:logDirectory to a writable path.", ex);
        } catch (IOException ex) {
            throw new CdcConfigException("Dataset '" + config.dataset() + "': cannot create the change log directory " + dir
                                         + ": " + ex + ". Set cdc:logDirectory to a writable directory.", ex);
        }
        if ( !Files.isWritable(dir) )
            throw new CdcConfigException("Dataset '" + config.dataset() + "': the change log directory " + dir
                                         + " is not writable. Give the Fuseki user write access to it, or set cdc:logDirectory to a writable path.");
        LogProperties.checkOwner(dir, config.dataset());
        FileChannel lockChannel = null;
        try {
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException ex) {
                lock = null;
            }
            if ( lock == null )
                throw new CdcConfigException("Dataset '" + config.dataset() + "': the change log " + dir
                                             + " is already open (by another Fuseki process or another dataset in this one)."
                                             + " Each captured dataset needs its own cdc:logDirectory.");
            ChangeLog log = new ChangeLog(config.withDirectory(dir), lockChannel, lock);
            try {
                log.load();
            } catch (IOException | RuntimeException ex) {
                log.segments.values().forEach(Segment::close);
                throw ex;
            }
            return log;
        } catch (IOException ex) {
            closeQuietly(lockChannel);
            throw new ChangeLogException("Dataset '" + config.dataset() + "': cannot open the change log in " + dir + ": " + ex, ex);
        } catch (RuntimeException ex) {
            closeQuietly(lockChannel);
            throw ex;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if ( ch == null )
            return;
        try {
            ch.close();
        } catch (IOException ex) {
            LOG.debug("closing lock file: {}", ex.toString());
        }
    }




    private void load() throws IOException {
        List<Long> firsts = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
            for ( Path p : ds ) {
                String n = p.getFileName().toString();
                try {
                    firsts.add(Long.parseLong(n.substring(0, n.length() - 4)));
                } catch (NumberFormatException ex) {
                    throw new ChangeLogException("Dataset '" + dataset + "': unexpected file " + p + " in the change log directory; remove it.");
                }
            }
        }
        firsts.sort(null);
        for ( int i = 0 ; i < firsts.size() ; i++ ) {
            long first = firsts.get(i);
            Segment seg = Segment.open(dataset, dir, first, i == firsts.size() - 1);
            Map.Entry<Long, Segment> prev = segments.lastEntry();
            if ( prev != null && prev.getValue().lastVersion() + 1 != first ) {
                seg.close();
                long missing = prev.getValue().lastVersion() + 1;
                throw new DamagedRecordException(dataset, new LogDamage(dir.resolve(Segment.fileName(missing)), missing, 0,
                                                                        "the change log has a gap: versions " + missing + ".." + (first - 1) + " are missing"),
                                                 "Segment " + prev.getValue().file().getFileName() + " ends at version " + (missing - 1) + " and the next, "
                                                 + seg.file().getFileName() + ", starts at " + first + ": a segment file was lost.");
            }
            segments.put(first, seg);
        }
        Properties meta = LogProperties.read(dir, dataset);
        if ( meta.getProperty(BASE_ID) != null ) {
            baseVersion = Long.parseLong(meta.getProperty(BASE_VERSION));
            baseId = UUID.fromString(meta.getProperty(BASE_ID));
            if ( segments.isEmpty() )
                segments.put(baseVersion + 1, Segment.create(dataset, dir, baseVersion + 1));
        }
        history = LogProperties.history(meta);
        if ( meta.getProperty(REBASE_ID) != null ) {
            pendingRebase = new Rebase(Long.parseLong(meta.getProperty(REBASE_VERSION)), UUID.fromString(meta.getProperty(REBASE_ID)),
                                       Path.of(meta.getProperty(REBASE_FILE)));
            LOG.warn("Dataset '{}': a snapshot load (version {}, from {}) was interrupted; the dataset is incomplete until it is loaded again",
                     dataset, pendingRebase.version(), pendingRebase.snapshotFile());
        }
        if ( segments.isEmpty() )
            segments.put(1L, Segment.create(dataset, dir, 1));
        Segment last = segments.lastEntry().getValue();
        // An empty trailing segment after a full one (a crash just after a roll) is fine: appends go there.
        head = lastMeta();
        publishedVersion = headVersion();
        loadReaders();
        LOG.info("Dataset '{}': change log {} open: versions {}..{} in {} segment(s)", dataset, dir,
                 firstVersion(), headVersion(), segments.size());
        if ( last.count() == 0 && segments.size() > 1 )
            LOG.debug("Dataset '{}': last segment {} is empty", dataset, last.file().getFileName());
    }

    private RecordMeta lastMeta() {
        for ( Segment s : segments.descendingMap().values() ) {
            if ( s.count() > 0 )
                return s.read(s.lastVersion()).meta();
        }
        return null;
    }

    public String dataset() {
        return dataset;
    }

    public ChangeLogConfig config() {
        return config;
    }

    /** Version of the last record, pending or published; 0 when the log has never held one. */
    public long headVersion() {
        RecordMeta h = head;
        return h == null ? firstVersion() - 1 : h.version();
    }

    /** The last record's metadata, or null when the log is empty. */
    public RecordMeta head() {
        return head;
    }

    /**
     * The id of the head version: the last record's, or, for a log started from a snapshot that
     * has no record yet, the snapshot's; null for a log that never held a record.
     */
    public UUID headId() {
        RecordMeta h = head;
        return h != null ? h.id() : baseId;
    }

    /**
     * The patch id of a version: the record's, or the snapshot's for the version a log started
     * after; null for version 0.
     *
     * @throws VersionGoneException if retention has removed it
     */
    public UUID idOf(long version) {
        if ( version == 0 )
            return null;
        if ( baseId != null && version == baseVersion )
            return baseId;
        return read(version).meta().id();
    }

    /** Which history this log holds (see {@link History}); null until one is recorded. */
    public History history() {
        return history;
    }

    /** The history's epoch: 0 for a dataset's first history. */
    public long epoch() {
        History h = history;
        return h == null ? 0 : h.epoch();
    }

    /** Record, durably, which history this log holds. */
    public void recordHistory(History value) {
        synchronized (writeLock) {
            checkOpen();
            LogProperties.recordHistory(dir, dataset, value);
            history = value;
        }
    }

    /** The last version readers may see. */
    public long publishedVersion() {
        return publishedVersion;
    }

    /** The oldest version still in the log (head + 1 when the log is empty). */
    public long firstVersion() {
        return segments.firstKey();
    }

    /** Total bytes of all segments. */
    public long sizeBytes() {
        long total = 0;
        for ( Segment s : segments.values() )
            total += s.sizeBytes();
        return total;
    }

    /**
     * Write a new record, durable when this returns (if fsync is on) but not yet visible to
     * readers. The log chooses the version (head + 1), a fresh id, the previous id and the time.
     * If the writer throws, nothing is left in the log.
     */
    public RecordMeta append(PayloadWriter writer) {
        return append(writer, true);
    }

    /**
     * As {@link #append(PayloadWriter)}; with {@code force} false the record is written but not
     * forced to disk, and the caller makes it durable with {@link #forcePending} before anything
     * depends on it (the store's commit point).
     */
    public RecordMeta append(PayloadWriter writer, boolean force) {
        synchronized (writeLock) {
            long version = headVersion() + 1;
            return appendRecord(new RecordMeta(version, UUID.randomUUID(), headId(), System.currentTimeMillis()), writer, force);
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
        return appendReplica(record, writer, true);
    }

    /** As {@link #appendReplica(RecordMeta, PayloadWriter)}, forcing as {@link #append(PayloadWriter, boolean)} does. */
    public RecordMeta appendReplica(RecordMeta record, PayloadWriter writer, boolean force) {
        synchronized (writeLock) {
            long expected = headVersion() + 1;
            if ( record.version() != expected )
                throw new ChangeLogException("Dataset '" + dataset + "': patch version " + record.version() + " (id " + record.id()
                                             + ") does not continue the change log, whose next version is " + expected);
            if ( !java.util.Objects.equals(record.prevId(), headId()) )
                throw new ChangeLogException("Dataset '" + dataset + "': patch version " + record.version() + " follows patch " + record.prevId()
                                             + " but this log's version " + headVersion() + " is patch " + headId() + ": the histories have forked");
            return appendRecord(record, writer, force);
        }
    }

    private RecordMeta appendRecord(RecordMeta meta, PayloadWriter writer, boolean force) {
        checkOpen();
        if ( pending != null )
            throw new IllegalStateException("Dataset '" + dataset + "': version " + pending.version()
                                            + " is still pending; publish or undo it before appending another");
        long version = meta.version();
        try {
            Segment seg = segmentForAppend(version);
            seg.append(meta, writer, force && config.fsync());
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot write version " + version + " to the change log in " + dir
                                         + ": " + ex + ". The write was not applied. Free disk space or fix the directory's permissions.", ex);
        }
        pending = meta;
        head = meta;
        return meta;
    }

    /**
     * A snapshot load under way: the dataset is being replaced by the snapshot of {@code version}
     * in {@code snapshotFile}, after which the log continues from it ({@link #rebase}).
     */
    public record Rebase(long version, UUID id, Path snapshotFile) {}

    /** The snapshot load that {@link #markRebase} announced and {@link #rebase} has not completed, or null. */
    public Rebase pendingRebase() {
        return pendingRebase;
    }

    /**
     * Announce, durably, that the dataset is about to be replaced by a snapshot: until
     * {@link #rebase} completes it, start-up recovery leaves the last record alone (the data may be
     * neither its version nor the snapshot's) and the loader must load the snapshot again.
     */
    public void markRebase(long version, UUID id, Path snapshotFile) {
        synchronized (writeLock) {
            checkOpen();
            Properties meta = LogProperties.read(dir, dataset);
            meta.setProperty(REBASE_VERSION, Long.toString(version));
            meta.setProperty(REBASE_ID, id.toString());
            meta.setProperty(REBASE_FILE, snapshotFile.toAbsolutePath().toString());
            try {
                LogProperties.write(dir, meta);
            } catch (IOException ex) {
                throw new ChangeLogException("Dataset '" + dataset + "': cannot record a snapshot load in " + dir + ": " + ex, ex);
            }
            pendingRebase = new Rebase(version, id, snapshotFile.toAbsolutePath());
        }
    }

    /**
     * Discard every record and continue after a snapshot: the next record will be version
     * {@code version + 1}, following the patch with id {@code id}. Completes a
     * {@link #markRebase}. Durable when this returns. Readers asking for a discarded version get
     * {@link VersionGoneException}.
     */
    public void rebase(long version, UUID id) {
        synchronized (writeLock) {
            checkOpen();
            if ( pending != null )
                throw new IllegalStateException("Dataset '" + dataset + "': version " + pending.version() + " is pending; cannot rebase");
            if ( version < 1 )
                throw new IllegalArgumentException("snapshot version must be at least 1, got " + version);
            long discardedHead = headVersion();
            try {
                // Segments first: a crash before the properties are written leaves the rebase pending, and it is done again.
                for ( Segment seg : segments.values() )
                    seg.delete();
                segments.clear();
                segments.put(version + 1, Segment.create(dataset, dir, version + 1));
                Properties meta = LogProperties.read(dir, dataset);
                meta.setProperty(BASE_VERSION, Long.toString(version));
                meta.setProperty(BASE_ID, id.toString());
                meta.remove(REBASE_VERSION);
                meta.remove(REBASE_ID);
                meta.remove(REBASE_FILE);
                LogProperties.write(dir, meta);
            } catch (IOException ex) {
                throw new ChangeLogException("Dataset '" + dataset + "': cannot start the change log after version " + version + " in " + dir
                                             + ": " + ex + ". Restart the server: the snapshot load is done again.", ex);
            }
            head = null;
            baseId = id;
            baseVersion = version;
            pendingRebase = null;
            publishedVersion = version;
            if ( discardedHead > 0 )
                LOG.warn("Dataset '{}': change log rebased: versions up to {} discarded; it continues after version {} (patch {})",
                         dataset, discardedHead, version, id);
            else
                LOG.info("Dataset '{}': change log starts after version {} (patch {})", dataset, version, id);
        }
        synchronized (publishSignal) {
            publishSignal.notifyAll();
        }
        publishListeners.forEach(Runnable::run);
    }

    private Segment segmentForAppend(long version) throws IOException {
        Segment last = segments.lastEntry().getValue();
        if ( last.count() == 0 || last.sizeBytes() < config.segmentBytes() )
            return last;
        Segment seg = Segment.create(dataset, dir, version);
        segments.put(version, seg);
        if ( config.fsync() )
            LogProperties.forceDirectory(dir);
        LOG.debug("Dataset '{}': new change log segment from version {}", dataset, version);
        applyRetention();
        return seg;
    }

    /**
     * Force the pending record, appended without forcing, to disk (when fsync is on). May run on
     * another thread than the appender's while the record is pending.
     */
    public void forcePending() {
        synchronized (writeLock) {
            if ( pending == null || !config.fsync() )
                return;
            Segment seg = segments.lastEntry().getValue();
            try {
                seg.force();
            } catch (IOException ex) {
                throw new ChangeLogException("Dataset '" + dataset + "': cannot force version " + pending.version() + " to disk in " + seg.file()
                                             + ": " + ex + ". The write was not applied. Check the disk.", ex);
            }
        }
    }

    /** Make the pending record visible to readers: the store has committed it. */
    public void publish(long version) {
        synchronized (writeLock) {
            requirePending(version);
            pending = null;
            publishedVersion = version;
        }
        synchronized (publishSignal) {
            publishSignal.notifyAll();
        }
        publishListeners.forEach(Runnable::run);
    }

    /**
     * Run {@code listener} on the committing thread after each publish. It must only signal
     * (wake a thread), never do work: the writer is waiting.
     */
    public void addPublishListener(Runnable listener) {
        publishListeners.add(listener);
    }

    public void removePublishListener(Runnable listener) {
        publishListeners.remove(listener);
    }

    /** Who is told about this dataset's captures, deliveries and live queries (metrics); {@link CdcObserver#NONE} by default. */
    public CdcObserver observer() {
        return observer;
    }

    /** Set the dataset's observer; {@code null} for none. */
    public void observe(CdcObserver observer) {
        this.observer = observer == null ? CdcObserver.NONE : observer;
    }

    /** Remove the pending record: the store's commit failed, so the record must not survive. */
    public void undoAppend(long version) {
        synchronized (writeLock) {
            requirePending(version);
            java.util.UUID id = pending.id();
            removeLastRecord();
            pending = null;
            LOG.warn("Dataset '{}': version {} (patch {}) removed from the change log because the store did not commit it", dataset, version, id);
        }
    }

    /**
     * Remove the last record after start-up recovery found that its transaction never committed.
     * Only allowed before anything has been appended in this process.
     */
    public void removeLast(long version) {
        synchronized (writeLock) {
            checkOpen();
            if ( pending != null || head == null || head.version() != version )
                throw new IllegalStateException("Dataset '" + dataset + "': removeLast(" + version + ") but the head is "
                                                + headVersion() + (pending != null ? " (pending)" : ""));
            removeLastRecord();
            publishedVersion = headVersion();
        }
    }

    private void removeLastRecord() {
        Segment seg = segments.lastEntry().getValue();
        try {
            if ( seg.count() == 0 ) {
                // Empty trailing segment: the record is in the one before.
                segments.remove(seg.firstVersion());
                seg.delete();
                seg = segments.lastEntry().getValue();
            }
            seg.truncateLast(config.fsync());
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot remove the last record from " + seg.file()
                                         + ": " + ex + ". Stop the server and check the disk; on restart recovery will decide the record.", ex);
        }
        head = lastMeta();
    }

    private void requirePending(long version) {
        if ( pending == null || pending.version() != version )
            throw new IllegalStateException("Dataset '" + dataset + "': version " + version + " is not the pending record ("
                                            + (pending == null ? "none pending" : "pending " + pending.version()) + ")");
    }

    /**
     * The record of a version. Readers get versions through {@link #readAfter}, which stops at
     * the published version; this method also reaches the head, for recovery and for the writer.
     *
     * @throws VersionGoneException if retention has removed it
     * @throws IllegalArgumentException if the version is not in the log
     */
    public LogRecord read(long version) {
        checkOpen();
        long first = firstVersion();
        if ( version < first )
            throw new VersionGoneException(dataset, version, first);
        if ( version > headVersion() )
            throw new IllegalArgumentException("Dataset '" + dataset + "': version " + version + " is not in the change log (head is "
                                               + headVersion() + ")");
        Map.Entry<Long, Segment> e = segments.floorEntry(version);
        if ( e == null )
            throw new VersionGoneException(dataset, version, firstVersion());
        try {
            return e.getValue().read(version);
        } catch (DamagedRecordException ex) {
            if ( !ex.damage().equals(damage) )
                LOG.error(ex.getMessage());
            damage = ex.damage();
            throw ex;
        }
    }

    /** The damaged record a read found since the log was opened (shown in status until a restart), or null. */
    public LogDamage damage() {
        return damage;
    }

    /**
     * Up to {@code max} published records after {@code afterVersion}, in version order, ending
     * before a damaged record, so that the records before it can be served.
     *
     * @throws VersionGoneException if version {@code afterVersion + 1} has been removed by retention
     * @throws DamagedRecordException if version {@code afterVersion + 1} is damaged
     */
    public List<LogRecord> readAfter(long afterVersion, int max) {
        long first = firstVersion();
        if ( afterVersion + 1 < first && afterVersion < publishedVersion )
            throw new VersionGoneException(dataset, afterVersion + 1, first);
        long end = Math.min(publishedVersion, afterVersion + max);
        List<LogRecord> out = new ArrayList<>((int)Math.max(0, end - afterVersion));
        try {
            for ( long v = afterVersion + 1 ; v <= end ; v++ )
                out.add(read(v));
        } catch (DamagedRecordException ex) {
            if ( out.isEmpty() )
                throw ex;
        }
        return out;
    }

    /**
     * Wait until a version after {@code afterVersion} is published or the timeout passes.
     *
     * @return the published version when the wait ended
     */
    public long awaitPublishedAfter(long afterVersion, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (publishSignal) {
            while ( publishedVersion <= afterVersion && !closed ) {
                long wait = deadline - System.currentTimeMillis();
                if ( wait <= 0 )
                    break;
                publishSignal.wait(wait);
            }
        }
        return publishedVersion;
    }

    // ---- Readers and retention

    /**
     * The durable cursor of a named reader (a sink, a follower, ...), created at version 0 on
     * first use. While registered, retention keeps every version the reader has not acknowledged.
     */
    public ReaderCursor reader(String name) {
        checkOpen();
        return readers.computeIfAbsent(name, n -> ReaderCursor.create(dir.resolve(READERS_DIR), dataset, n));
    }

    /** Forget a reader: retention no longer waits for it. */
    public void unregisterReader(String name) {
        ReaderCursor c = readers.remove(name);
        if ( c != null )
            c.delete();
    }

    public List<ReaderCursor> readers() {
        return List.copyOf(readers.values());
    }

    /**
     * The bytes retention could free but for a reader that has acknowledged {@code version}:
     * the segments holding a version after it, except the newest, which retention always keeps.
     */
    public long bytesKeptFor(long version) {
        List<Segment> all = List.copyOf(segments.values());
        long total = 0;
        for ( Segment s : all.subList(0, Math.max(0, all.size() - 1)) ) {
            if ( s.count() > 0 && s.lastVersion() > version )
                total += s.sizeBytes();
        }
        return total;
    }

    private void loadReaders() throws IOException {
        Path rdir = dir.resolve(READERS_DIR);
        if ( !Files.isDirectory(rdir) )
            return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(rdir, "*" + ReaderCursor.SUFFIX)) {
            for ( Path p : ds ) {
                ReaderCursor c = ReaderCursor.load(p, dataset);
                readers.put(c.name(), c);
            }
        }
    }

    /**
     * Remove whole sealed segments, oldest first, that the retention policy lets go and that
     * every registered reader has acknowledged (unless the policy overrides readers).
     * Runs when a segment fills up; callable at any time.
     *
     * @return the number of versions removed
     */
    public long applyRetention() {
        Retention r = config.retention();
        if ( r.keepsEverything() )
            return 0;
        synchronized (writeLock) {
            long removed = 0;
            long minAck = Long.MAX_VALUE;
            for ( ReaderCursor c : readers.values() )
                minAck = Math.min(minAck, c.acknowledged());
            long now = System.currentTimeMillis();
            long total = sizeBytes();
            long headV = headVersion();
            while ( segments.size() > 1 ) {
                Segment oldest = segments.firstEntry().getValue();
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
                    segments.remove(oldest.firstVersion());
                    total -= oldest.sizeBytes();
                    oldest.delete();
                } catch (IOException ex) {
                    LOG.warn("Dataset '{}': retention could not delete {}: {}", dataset, oldest.file(), ex.toString());
                    break;
                }
                removed += oldest.count();
                LOG.info("Dataset '{}': retention removed versions {}..{}", dataset, oldest.firstVersion(), last);
            }
            return removed;
        }
    }

    private boolean committedBefore(long version, long timeMillis) {
        try {
            return read(version).meta().timestamp() < timeMillis;
        } catch (DamagedRecordException ex) {
            return false;   // its time is unknown: age alone does not remove it
        }
    }


    public boolean isClosed() {
        return closed;
    }

    private void checkOpen() {
        if ( closed )
            throw new ChangeLogException("Dataset '" + dataset + "': the change log " + dir + " is closed");
    }

    @Override
    public void close() {
        synchronized (writeLock) {
            if ( closed )
                return;
            closed = true;
            segments.values().forEach(Segment::close);
            try {
                lock.release();
                lockChannel.close();
            } catch (IOException ex) {
                LOG.warn("Dataset '{}': releasing the change log lock: {}", dataset, ex.toString());
            }
        }
        synchronized (publishSignal) {
            publishSignal.notifyAll();
        }
        LOG.info("Dataset '{}': change log closed at version {}", dataset, publishedVersion);
    }
}
