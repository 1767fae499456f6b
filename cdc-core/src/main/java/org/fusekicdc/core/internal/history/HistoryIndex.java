package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.apache.jena.graph.Node;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which versions of a dataset's change log added or removed triples of a subject: the index
 * behind resource history and revert's conflict check, kept in the log's directory
 * ({@value #DIR}/) and brought up to date by its own thread, which follows the published
 * records every {@value #FOLLOW_MILLIS} ms, and at once when a lookup needs versions it has not
 * indexed yet ({@link #awaitIndexed}). A commit never wakes it: on a busy machine the woken
 * thread would take the committing thread's core just as it answers its client.
 * <p>
 * An entry says that version {@code v} added {@code a} and removed {@code d} quads with subject
 * {@code s}, predicate {@code p} in graph {@code g} ({@link IndexEntry}). Entries go to one of
 * {@value IndexEntry#BUCKETS} bucket files by subject key, in version order, so that a lookup
 * reads one bucket. The bucket
 * files are grouped in partitions of about {@code partitionEntries} entries each; a partition
 * whose versions retention has removed from the log is deleted whole.
 * <p>
 * Durability: when no version has come for {@value #IDLE_CHECKPOINT_MILLIS} ms, at the latest
 * every {@value #MAX_CHECKPOINT_MILLIS} ms under steady writes, and when closed, the index forces
 * its files to disk and writes a checkpoint (the version indexed through, its patch id, the bucket
 * lengths). Under steady writes it does not force its 64 files every second, where their syncs
 * would queue beside the log's and the store's on the same disk: the versions after the last
 * checkpoint are cheap to index again (over 10,000 a second). On open,
 * the files are cut back to the checkpoint and every entry is checked; the records after the
 * checkpoint are indexed again from the log. A missing or damaged index, or one that does not
 * belong to the log's history (the patch id at its version differs), is rebuilt from the log.
 * <p>
 * Memory: a transaction's entries are merged per (s, p, g) in batches of at most
 * {@value VersionEntries#FLUSH_ENTRIES}; a lookup keeps at most {@code limit + 1} versions.
 * <p>
 * This class follows the log and answers lookups; {@link IndexPartition} holds a partition's
 * files, {@link VersionEntries} turns a patch into entries, {@link IndexEntry} reads and checks
 * them, {@link IndexCheckpoint} records what is durable.
 */
public final class HistoryIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryIndex.class);
    public static final String DIR = "history-index";
    public static final long DEFAULT_PARTITION_ENTRIES = 1L << 20;
    static final long FOLLOW_MILLIS = 100;
    static final long IDLE_CHECKPOINT_MILLIS = 1000;
    static final long MAX_CHECKPOINT_MILLIS = 60_000;
    private static final int BATCH = 256;

    private final ChangeLog log;
    private final String dataset;
    private final Path dir;
    private final long partitionEntries;
    private final Object lock = new Object();        // guards partitions, position, lastId
    private final List<IndexPartition> partitions = new ArrayList<>();
    private long position;                           // every version up to this is indexed
    private long generation;                         // one more each time the index is started again from empty
    private UUID lastId;                             // patch id of version 'position'; null when unknown
    private final Object wake = new Object();
    private boolean signalled;
    private final Thread thread;
    private volatile boolean closed;
    private volatile boolean rebuildRequested;
    private long lastCheckpoint;
    private long lastIndexed;                        // when the thread last indexed a version
    private final AtomicLong indexedVersions = new AtomicLong();
    private final AtomicLong indexNanos = new AtomicLong();

    /** A version that changed triples of the subject asked for: how many quads it added and removed. */
    public record Change(long version, long added, long removed) {}

    /**
     * One page of a subject's history, newest first.
     *
     * @param changes        at most {@code limit} versions
     * @param more           whether older versions match too
     * @param indexedVersion the index was complete up to this version when asked
     */
    public record Page(List<Change> changes, boolean more, long indexedVersion) {}

    /** Thrown by a lookup that found a damaged entry; the index is being rebuilt from the log. */
    public static final class DamagedIndexException extends RuntimeException {
        DamagedIndexException(String message) {
            super(message);
        }
    }

    private HistoryIndex(ChangeLog log, long partitionEntries) {
        this.log = log;
        this.dataset = log.dataset();
        this.dir = log.config().directory().resolve(DIR);
        this.partitionEntries = partitionEntries;
        this.thread = Thread.ofPlatform().daemon().name("cdc-history-" + dataset).unstarted(this::run);
    }

    /** Open (loading, or rebuilding from the log) the history index of {@code log} and start following it. */
    public static HistoryIndex open(ChangeLog log) {
        return open(log, DEFAULT_PARTITION_ENTRIES);
    }

    /** As {@link #open(ChangeLog)}, with partitions of about {@code partitionEntries} entries. */
    public static HistoryIndex open(ChangeLog log, long partitionEntries) {
        if ( partitionEntries < 1 )
            throw new IllegalArgumentException("partitionEntries must be at least 1, got " + partitionEntries);
        HistoryIndex index = new HistoryIndex(log, partitionEntries);
        synchronized (index.lock) {
            try {
                index.load();
            } catch (IndexCheckpoint.Problem ex) {
                if ( ex.fresh )
                    LOG.info("Dataset '{}': history index {} created; indexing versions {}..{}", index.dataset, index.dir, log.firstVersion(),
                             log.publishedVersion());
                else
                    LOG.warn("Dataset '{}': history index {}: {}; rebuilding it from the change log (versions {}..{})", index.dataset, index.dir,
                         ex.getMessage(), log.firstVersion(), log.publishedVersion());
                index.wipe();
            } catch (IOException ex) {
                LOG.warn("Dataset '{}': history index {} could not be read: {}; rebuilding it from the change log", index.dataset, index.dir, ex.toString());
                index.wipe();
            }
        }
        index.thread.start();
        return index;
    }

    /** The version up to which every change is in the index. */
    public long indexedVersion() {
        synchronized (lock) {
            return position;
        }
    }

    /** Versions indexed since open, and the time spent indexing them (for the per-commit cost). */
    public long indexedVersions() {
        return indexedVersions.get();
    }

    public long indexNanos() {
        return indexNanos.get();
    }

    /** Bytes of the index on disk. */
    public long sizeBytes() {
        synchronized (lock) {
            long total = 0;
            for ( IndexPartition p : partitions )
                for ( long l : p.lengths )
                    total += l;
            return total;
        }
    }

    /**
     * Wait until the index holds every version up to {@code version}, or the timeout passes; the
     * index catches up at once rather than at its next round.
     *
     * @return whether it does
     */
    public boolean awaitIndexed(long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            if ( position < version )
                signal();
            while ( (position < version || rebuildRequested) && !closed ) {
                long waitMs = (deadline - System.nanoTime()) / 1_000_000;
                if ( waitMs <= 0 )
                    return false;
                lock.wait(Math.min(waitMs, 100));
            }
            return position >= version && !rebuildRequested;
        }
    }

    // ---- Lookup

    /**
     * The versions after {@code after} and before {@code before} that added or removed quads with
     * this subject (and predicate, and graph, when not null; the default graph is
     * {@code Quad.defaultGraphIRI}), newest first, at most {@code limit}, as far back as the log
     * still reaches.
     *
     * @throws DamagedIndexException if a damaged entry was read; the index is being rebuilt
     */
    public Page lookup(Node subject, Node predicate, Node graph, long after, long before, int limit) {
        Objects.requireNonNull(subject, "subject");
        if ( limit < 1 )
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        long s = TermHash.of(subject);
        Long p = predicate == null ? null : TermHash.of(predicate);
        Long g = graph == null ? null : TermHash.graph(graph);
        int bucket = IndexEntry.bucketOf(s);
        List<PartitionView> views = new ArrayList<>();
        long indexed;
        long gen;
        synchronized (lock) {
            if ( rebuildRequested )
                throw rebuilding();
            indexed = position;
            gen = generation;
            for ( IndexPartition part : partitions )
                views.add(new PartitionView(part.first, part.bucket(bucket), part.lengths[bucket]));
        }
        long floor = Math.max(after, log.firstVersion() - 1);
        NavigableMap<Long, long[]> found = new TreeMap<>();
        for ( int i = views.size() - 1 ; i >= 0 && found.size() <= limit ; i-- ) {
            PartitionView v = views.get(i);
            if ( v.first >= before )
                continue;
            NavigableMap<Long, long[]> inPart = scan(v, s, p, g, floor, before, limit + 1 - found.size());
            found.putAll(inPart);
            if ( v.first <= floor + 1 )
                break;
        }
        synchronized (lock) {
            // Started again while this lookup read: what it read may be gone or partial.
            if ( rebuildRequested || generation != gen )
                throw rebuilding();
        }
        List<Change> out = new ArrayList<>(Math.min(limit, found.size()));
        for ( Map.Entry<Long, long[]> e : found.descendingMap().entrySet() ) {
            if ( out.size() == limit )
                break;
            out.add(new Change(e.getKey(), e.getValue()[0], e.getValue()[1]));
        }
        return new Page(out, found.size() > limit, indexed);
    }

    private record PartitionView(long first, Path bucket, long length) {}

    /** The newest {@code keep} matching versions in one partition's bucket. */
    private NavigableMap<Long, long[]> scan(PartitionView v, long s, Long p, Long g, long floor, long before, int keep) {
        try {
            return IndexEntry.scan(v.bucket, v.length, s, p, g, floor, before, keep);
        } catch (NoSuchFileException ex) {
            return new TreeMap<>();    // the partition was just pruned: its versions are gone from the log
        } catch (IndexEntry.Damage ex) {
            throw damaged(ex.getMessage());
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': reading the history index " + v.bucket + ": " + ex, ex);
        }
    }

    private DamagedIndexException rebuilding() {
        return new DamagedIndexException("Dataset '" + dataset + "': the history index is being rebuilt from the change log; ask again shortly");
    }

    private DamagedIndexException damaged(String what) {
        rebuildRequested = true;
        signal();
        LOG.warn("Dataset '{}': history index damaged: {}; rebuilding it from the change log", dataset, what);
        return new DamagedIndexException("Dataset '" + dataset + "': the history index is damaged (" + what
                                         + ") and is being rebuilt from the change log; ask again shortly");
    }

    // ---- Following the log

    private void signal() {
        synchronized (wake) {
            signalled = true;
            wake.notifyAll();
        }
    }

    private void run() {
        while ( !closed ) {
            try {
                if ( rebuildRequested ) {
                    synchronized (lock) {
                        wipe();
                        rebuildRequested = false;
                    }
                }
                int done = step();
                prune();
                long now = System.currentTimeMillis();
                if ( done > 0 )
                    lastIndexed = now;
                else {
                    boolean idle = now - lastIndexed >= IDLE_CHECKPOINT_MILLIS;
                    if ( (idle || now - lastCheckpoint >= MAX_CHECKPOINT_MILLIS) && needsCheckpoint() )
                        checkpoint();
                    synchronized (wake) {
                        if ( !signalled && !closed )
                            wake.wait(FOLLOW_MILLIS);
                        signalled = false;
                    }
                }
            } catch (InterruptedException ex) {
                return;
            } catch (DamagedRecordException ex) {
                // The log's record cannot be read: nothing after it can be indexed until it is repaired.
                LOG.warn("Dataset '{}': history index waits at version {}: {}", dataset, indexedVersion(), ex.getMessage());
                sleepQuietly(5000);
            } catch (RuntimeException ex) {
                if ( closed )
                    return;
                // The index can always be rebuilt from the log: no data is at risk.
                LOG.warn("Dataset '{}': history index failed after version {}; rebuilding it from the change log: {}", dataset, indexedVersion(),
                         ex.toString(), ex);
                rebuildRequested = true;
                sleepQuietly(1000);
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    private long checkpointedPosition = -1;

    private boolean needsCheckpoint() {
        synchronized (lock) {
            return position != checkpointedPosition;
        }
    }

    /** Index the next published records; the number indexed. */
    private int step() {
        long from = indexedVersion();
        List<LogRecord> records;
        try {
            records = log.readAfter(from, BATCH);
        } catch (VersionGoneException ex) {
            skipRemoved(from);
            return 1;
        }
        if ( records.isEmpty() && from > log.publishedVersion() ) {
            // The log went back (a snapshot load started it again): this index describes another history.
            synchronized (lock) {
                wipe();
            }
            return 1;
        }
        for ( LogRecord r : records ) {
            if ( closed || rebuildRequested )
                break;
            UUID expected;
            synchronized (lock) {
                expected = lastId;
            }
            if ( expected != null && !expected.equals(r.meta().prevId()) ) {
                LOG.info("Dataset '{}': version {} does not follow the indexed version {}; rebuilding the history index", dataset, r.version(),
                         r.version() - 1);
                synchronized (lock) {
                    wipe();
                }
                return 1;
            }
            long t0 = System.nanoTime();
            try {
                index(r);
            } catch (RuntimeException ex) {
                if ( r.version() >= log.firstVersion() )
                    throw ex;
                // Retention removed the record while it was being read.
                skipRemoved(r.version() - 1);
                return 1;
            }
            indexNanos.addAndGet(System.nanoTime() - t0);
            indexedVersions.incrementAndGet();
        }
        return records.size();
    }

    /** Continue at the log's oldest version: retention removed the versions after {@code from} before they were indexed. */
    private void skipRemoved(long from) {
        long first = log.firstVersion();
        LOG.info("Dataset '{}': history index at version {} is behind the change log's oldest version {}; continuing there", dataset, from, first);
        boolean rebase;
        synchronized (lock) {
            if ( position != from )
                return;
            position = first - 1;
            lastId = safeIdOf(position);
            lock.notifyAll();
            rebase = partitions.getLast().first < first;
        }
        // What the newest partition holds is gone from the log: the versions from here on go to a
        // partition of their own, so that retention can prune the old one whole.
        if ( rebase )
            roll(first);
    }

    /** Add one record's entries to the newest partition and make them visible. */
    private void index(LogRecord r) {
        long version = r.version();
        IndexPartition part;
        synchronized (lock) {
            part = partitions.getLast();
        }
        VersionEntries c;
        try {
            c = VersionEntries.append(part, r);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': indexing version " + version + " in " + part.dir + ": " + ex, ex);
        }
        synchronized (lock) {
            System.arraycopy(c.written, 0, part.lengths, 0, IndexEntry.BUCKETS);
            part.entries = c.entries;
            position = version;
            lastId = r.meta().id();
            lock.notifyAll();
        }
        if ( part.entries >= partitionEntries )
            roll(version + 1);
    }

    // ---- Partitions, checkpoints, pruning

    private void roll(long nextFirst) {
        synchronized (lock) {
            IndexPartition old = partitions.getLast();
            try {
                old.force();
            } catch (IOException ex) {
                throw new UncheckedIOException("Dataset '" + dataset + "': sealing history index partition " + old.dir + ": " + ex, ex);
            }
            old.closeFiles();
            partitions.add(new IndexPartition(dir, nextFirst));
        }
        checkpoint();
    }

    /** Delete partitions all of whose versions retention has removed from the log. */
    private void prune() {
        long first = log.firstVersion();
        List<IndexPartition> gone = new ArrayList<>();
        synchronized (lock) {
            while ( partitions.size() > 1 && partitions.get(1).first <= first )
                gone.add(partitions.removeFirst());
        }
        if ( gone.isEmpty() )
            return;
        checkpoint();
        for ( IndexPartition p : gone ) {
            p.closeFiles();
            deleteTree(p.dir);
            LOG.debug("Dataset '{}': history index partition {} pruned (the log starts at version {})", dataset, p.dir.getFileName(), first);
        }
    }

    /** Force the newest partition to disk and record what is durable. */
    private void checkpoint() {
        synchronized (lock) {
            IndexPartition cur = partitions.getLast();
            try {
                cur.force();
                new IndexCheckpoint(position, lastId, partitions.stream().mapToLong(p -> p.first).toArray(), cur.lengths.clone()).write(dir);
                checkpointedPosition = position;
                lastCheckpoint = System.currentTimeMillis();
            } catch (IOException ex) {
                LOG.warn("Dataset '{}': history index checkpoint at version {} failed: {}; the versions since the last one are indexed again after a restart",
                         dataset, position, ex.toString());
            }
        }
    }

    /** Load the index as of its checkpoint; the caller holds the lock. */
    private void load() throws IOException, IndexCheckpoint.Problem {
        IndexCheckpoint cp = IndexCheckpoint.read(dir);
        long version = cp.version();
        long[] firsts = cp.firsts();
        // Does it describe this log's history?
        if ( version > log.publishedVersion() )
            throw new IndexCheckpoint.Problem("it is at version " + version + ", after the log's last version " + log.publishedVersion());
        if ( version > 0 && version < log.firstVersion() - 1 )
            throw new IndexCheckpoint.Problem("it ends at version " + version + ", before the log's oldest version " + log.firstVersion());
        if ( version > 0 ) {
            UUID logId;
            try {
                logId = log.idOf(version);
            } catch (RuntimeException ex) {
                throw new IndexCheckpoint.Problem("the log cannot confirm version " + version + ": " + ex.getMessage());
            }
            if ( !Objects.equals(logId, cp.lastId()) )
                throw new IndexCheckpoint.Problem("its version " + version + " is patch " + cp.lastId() + " but the log's is " + logId);
        }
        // Partitions after the checkpoint's newest hold only versions it does not cover.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "p*")) {
            for ( Path p : ds ) {
                if ( IndexPartition.firstOf(p.getFileName().toString()) > firsts[firsts.length - 1] )
                    deleteTree(p);
            }
        }
        for ( int i = 0 ; i < firsts.length ; i++ ) {
            IndexPartition part = new IndexPartition(dir, firsts[i]);
            boolean newest = i == firsts.length - 1;
            for ( int b = 0 ; b < IndexEntry.BUCKETS ; b++ ) {
                Path f = part.bucket(b);
                long size = Files.exists(f) ? Files.size(f) : 0;
                if ( newest ) {
                    long length = cp.lengths()[b];
                    if ( size < length )
                        throw new IndexCheckpoint.Problem(f + " is " + size + " bytes, shorter than its checkpointed " + length);
                    if ( size > length ) {
                        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                            ch.truncate(length);
                        }
                    }
                    part.lengths[b] = length;
                } else {
                    if ( !Files.exists(f) )
                        throw new IndexCheckpoint.Problem(f + " is missing");
                    if ( size % IndexEntry.SIZE != 0 )
                        throw new IndexCheckpoint.Problem(f + " is " + size + " bytes, not a whole number of entries");
                    part.lengths[b] = size;
                }
                try {
                    part.entries += IndexEntry.verify(f, part.lengths[b], version);
                } catch (IndexEntry.Damage ex) {
                    throw new IndexCheckpoint.Problem(ex.getMessage());
                }
            }
            partitions.add(part);
        }
        position = version;
        lastId = cp.lastId();
        checkpointedPosition = version;
        LOG.info("Dataset '{}': history index {} open at version {} ({} partition(s)); indexing versions {}..{}", dataset, dir, version,
                 partitions.size(), version + 1, log.publishedVersion());
    }

    /** Start again, empty, just before the log's oldest version; the caller holds the lock. */
    private void wipe() {
        partitions.forEach(IndexPartition::closeFiles);
        partitions.clear();
        deleteTree(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': cannot create the history index directory " + dir + ": " + ex, ex);
        }
        long start = log.firstVersion();
        partitions.add(new IndexPartition(dir, start));
        position = start - 1;
        generation++;
        lastId = position > 0 ? safeIdOf(position) : null;
        checkpointedPosition = -1;
        lock.notifyAll();
    }

    private UUID safeIdOf(long version) {
        try {
            return log.idOf(version);
        } catch (RuntimeException ex) {
            return null;    // the record before the oldest is gone: nothing to check the next against
        }
    }

    private void deleteTree(Path p) {
        if ( !Files.exists(p) )
            return;
        try (Stream<Path> walk = Files.walk(p)) {
            for ( Path x : walk.sorted(Comparator.reverseOrder()).toList() )
                Files.deleteIfExists(x);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': cannot delete " + p + " of the history index: " + ex, ex);
        }
    }

    @Override
    public void close() {
        if ( closed )
            return;
        closed = true;
        // No interrupt: it would close a file channel the thread is writing; the thread waits at most a second.
        signal();
        try {
            thread.join(10_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            if ( !partitions.isEmpty() )
                checkpoint();
            partitions.forEach(IndexPartition::closeFiles);
            lock.notifyAll();
        }
        LOG.debug("Dataset '{}': history index closed at version {}", dataset, position);
    }
}
