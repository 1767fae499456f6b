package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import org.fusekicdc.core.internal.metrics.CdcObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable, ordered change log of one dataset: an append-only sequence of patches numbered
 * 1, 2, 3, ... without gaps, kept in checksummed segment files. This is what sinks, feeds, live
 * queries and status get: reading records ({@link #read}, {@link #readAfter}), waiting for new
 * ones ({@link #awaitPublishedAfter}), durable reader cursors, the log's metadata and its
 * retention.
 * <p>
 * Records are changed only through the log's {@link LogWriter}, which the capture layer claims
 * when it wraps the dataset; this class gives no way to it. Readers only ever see
 * <em>published</em> records: a record is appended before the store commits and published after.
 * <p>
 * After a crash the last record may be one whose store commit never happened; the capture layer
 * decides that by looking at the data (see {@code CommitRecovery}) and removes it through the
 * writer.
 */
public final class ChangeLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeLog.class);
    static final String READERS_DIR = "readers";

    private final ChangeLogConfig config;
    private final String dataset;
    private final Path dir;
    private final LogDirectory locked;
    final LogSegments segments;
    final LogMetadata metadata;
    private final LogRetention retention = new LogRetention(this);
    private final Map<String, ReaderCursor> readers = new ConcurrentHashMap<>();
    // Guards every change of the log's files and of head and publishedVersion.
    final Object writeLock = new Object();
    private final Object publishSignal = new Object();
    private final List<Runnable> publishListeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean writerClaimed = new AtomicBoolean();

    volatile RecordMeta head;                  // last record in the log, pending or not; set by the writer
    volatile long publishedVersion;            // last record readers may see; set by the writer
    volatile RecordMeta unpublished;           // first record being appended or appended and not yet published; set by the writer
    private volatile boolean closed;
    private volatile CdcObserver observer = CdcObserver.NONE;
    private volatile LogDamage damage;         // the last damaged record a read found; null when none

    private ChangeLog(ChangeLogConfig config, LogDirectory locked) {
        this.config = config;
        this.dataset = config.dataset();
        this.dir = config.directory();
        this.locked = locked;
        this.segments = new LogSegments(dataset, dir);
        this.metadata = new LogMetadata(dataset, dir);
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
        LogDirectory locked;
        try {
            locked = LogDirectory.lock(dir, config.dataset());
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + config.dataset() + "': cannot open the change log in " + dir + ": " + ex, ex);
        }
        ChangeLog log = new ChangeLog(config.withDirectory(dir), locked);
        try {
            log.load();
            return log;
        } catch (IOException ex) {
            log.segments.close();
            locked.abandon();
            throw new ChangeLogException("Dataset '" + config.dataset() + "': cannot open the change log in " + dir + ": " + ex, ex);
        } catch (RuntimeException ex) {
            log.segments.close();
            locked.abandon();
            throw ex;
        }
    }

    private void load() throws IOException {
        segments.load();
        metadata.load();
        if ( metadata.baseId() != null )
            segments.createIfEmpty(metadata.baseVersion() + 1);
        segments.createIfEmpty(1);
        Segment last = segments.newest();
        // An empty trailing segment after a full one (a crash just after a roll) is fine: appends go there.
        head = segments.lastMeta();
        publishedVersion = headVersion();
        loadReaders();
        LOG.info("Dataset '{}': change log {} open: versions {}..{} in {} segment(s)", dataset, dir,
                 firstVersion(), headVersion(), segments.count());
        if ( last.count() == 0 && segments.count() > 1 )
            LOG.debug("Dataset '{}': last segment {} is empty", dataset, last.file().getFileName());
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

    /**
     * The first record being appended (stamped, perhaps not yet written) or appended and not yet
     * published, or null when every record is published. A reader that advances time by this log's
     * clock must not pass its commit time: the record may still be published with it.
     */
    public RecordMeta unpublished() {
        return unpublished;
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
        return h != null ? h.id() : metadata.baseId();
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
        UUID baseId = metadata.baseId();
        if ( baseId != null && version == metadata.baseVersion() )
            return baseId;
        return read(version).meta().id();
    }

    /** Which history this log holds (see {@link History}); null until one is recorded. */
    public History history() {
        return metadata.history();
    }

    /** The history's epoch: 0 for a dataset's first history. */
    public long epoch() {
        History h = metadata.history();
        return h == null ? 0 : h.epoch();
    }

    /**
     * A snapshot load under way: the dataset is being replaced by the snapshot of {@code version}
     * in {@code snapshotFile}, after which the log continues from it ({@link LogWriter#rebase}).
     */
    public record Rebase(long version, UUID id, Path snapshotFile) {}

    /**
     * Records appended for one store transaction (a follower catching up applies many of its
     * leader's versions at once): from {@code firstVersion}, whose id is {@code firstId}, to at
     * most {@code lastVersion}. After a crash, start-up recovery decides all the group's records
     * in the log together.
     */
    public record Group(long firstVersion, UUID firstId, long lastVersion) {}

    /** The last group {@link LogWriter#beginGroup} announced (committed or not), or null. */
    public Group lastGroup() {
        return metadata.group();
    }

    /** The snapshot load that {@link LogWriter#markRebase} announced and {@link LogWriter#rebase} has not completed, or null. */
    public Rebase pendingRebase() {
        return metadata.pendingRebase();
    }

    /** The last version readers may see. */
    public long publishedVersion() {
        return publishedVersion;
    }

    /** The oldest version still in the log (head + 1 when the log is empty). */
    public long firstVersion() {
        return segments.firstVersion();
    }

    /** Total bytes of all segments. */
    public long sizeBytes() {
        return segments.sizeBytes();
    }

    /** Who is told about this dataset's captures, deliveries and live queries (metrics); {@link CdcObserver#NONE} by default. */
    public CdcObserver observer() {
        return observer;
    }

    /** Set the dataset's observer; {@code null} for none. */
    public void observe(CdcObserver observer) {
        this.observer = observer == null ? CdcObserver.NONE : observer;
    }

    // ---- Reading

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
        Segment holding = segments.holding(version);
        if ( holding == null )
            throw new VersionGoneException(dataset, version, firstVersion());
        try {
            return holding.read(version);
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

    /** Wake readers waiting for a publish and run the publish listeners; called by the writer after it published. */
    void signalPublished() {
        synchronized (publishSignal) {
            publishSignal.notifyAll();
        }
        publishListeners.forEach(Runnable::run);
    }

    /** True the first time only: each open log gives out one {@link LogWriter}. */
    boolean claimWriter() {
        return writerClaimed.compareAndSet(false, true);
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
        return retention.bytesKeptFor(version);
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
        synchronized (writeLock) {
            return retention.apply();
        }
    }

    public boolean isClosed() {
        return closed;
    }

    void checkOpen() {
        if ( closed )
            throw new ChangeLogException("Dataset '" + dataset + "': the change log " + dir + " is closed");
    }

    @Override
    public void close() {
        synchronized (writeLock) {
            if ( closed )
                return;
            closed = true;
            segments.close();
            try {
                locked.release();
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
