package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.riot.tokens.Token;
import org.apache.jena.riot.tokens.TokenType;
import org.apache.jena.riot.tokens.Tokenizer;
import org.apache.jena.riot.tokens.TokenizerText;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which versions of a dataset's change log added or removed triples of a subject: the index
 * behind resource history and revert's conflict check, kept in the log's directory
 * ({@value #DIR}/) and brought up to date by its own thread as records are published.
 * <p>
 * An entry says that version {@code v} added {@code a} and removed {@code d} quads with subject
 * {@code s}, predicate {@code p} in graph {@code g}, the terms held as 64-bit keys
 * ({@link TermHash}); each entry carries its own CRC. Entries go to one of {@value #BUCKETS}
 * bucket files by subject key, in version order, so that a lookup reads one bucket. The bucket
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
 * {@value #FLUSH_ENTRIES}; a lookup keeps at most {@code limit + 1} versions.
 */
public final class HistoryIndex implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistoryIndex.class);
    public static final String DIR = "history-index";
    private static final int BUCKET_BITS = 6;
    static final int BUCKETS = 1 << BUCKET_BITS;
    static final int ENTRY = 44;
    static final int FLUSH_ENTRIES = 65_536;
    public static final long DEFAULT_PARTITION_ENTRIES = 1L << 20;
    private static final String CHECKPOINT = "checkpoint";
    static final long IDLE_CHECKPOINT_MILLIS = 1000;
    static final long MAX_CHECKPOINT_MILLIS = 60_000;
    private static final int BATCH = 256;
    private static final int SMALL_PATCH = 64 * 1024;

    private final ChangeLog log;
    private final String dataset;
    private final Path dir;
    private final long partitionEntries;
    private final Object lock = new Object();        // guards partitions, position, lastId
    private final List<Partition> partitions = new ArrayList<>();
    private long position;                           // every version up to this is indexed
    private long generation;                         // one more each time the index is started again from empty
    private UUID lastId;                             // patch id of version 'position'; null when unknown
    private final Object wake = new Object();
    private boolean signalled;
    private final Runnable listener = this::signal;
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
            } catch (IndexProblem ex) {
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
        log.addPublishListener(index.listener);
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
            for ( Partition p : partitions )
                for ( long l : p.lengths )
                    total += l;
            return total;
        }
    }

    /**
     * Wait until the index holds every version up to {@code version}, or the timeout passes.
     *
     * @return whether it does
     */
    public boolean awaitIndexed(long version, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
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
        int bucket = bucketOf(s);
        List<PartitionView> views = new ArrayList<>();
        long indexed;
        long gen;
        synchronized (lock) {
            if ( rebuildRequested )
                throw rebuilding();
            indexed = position;
            gen = generation;
            for ( Partition part : partitions )
                views.add(new PartitionView(part.first, part.dir, part.lengths[bucket]));
        }
        long floor = Math.max(after, log.firstVersion() - 1);
        NavigableMap<Long, long[]> found = new TreeMap<>();
        for ( int i = views.size() - 1 ; i >= 0 && found.size() <= limit ; i-- ) {
            PartitionView v = views.get(i);
            if ( v.first >= before )
                continue;
            NavigableMap<Long, long[]> inPart = scan(v, bucket, s, p, g, floor, before, limit + 1 - found.size());
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

    private record PartitionView(long first, Path dir, long length) {}

    /** The newest {@code keep} matching versions in one partition's bucket, which holds entries in version order. */
    private NavigableMap<Long, long[]> scan(PartitionView v, int bucket, long s, Long p, Long g, long floor, long before, int keep) {
        TreeMap<Long, long[]> found = new TreeMap<>();
        if ( v.length == 0 )
            return found;
        Path file = v.dir.resolve(bucketName(bucket));
        ByteBuffer buf = ByteBuffer.allocate(ENTRY * 1024);
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            while ( pos < v.length ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), v.length - pos));
                while ( buf.hasRemaining() ) {
                    if ( ch.read(buf, pos + buf.position()) < 0 )
                        throw damaged(file + " is shorter than " + v.length + " bytes");
                }
                buf.flip();
                pos += buf.limit();
                while ( buf.remaining() >= ENTRY ) {
                    int at = buf.position();
                    crc.reset();
                    crc.update(buf.array(), at, ENTRY - 4);
                    if ( (int)crc.getValue() != buf.getInt(at + ENTRY - 4) )
                        throw damaged("entry at byte " + (pos - buf.limit() + at) + " of " + file + " fails its checksum");
                    long es = buf.getLong(at);
                    long ep = buf.getLong(at + 8);
                    long eg = buf.getLong(at + 16);
                    long ev = buf.getLong(at + 24);
                    buf.position(at + ENTRY);
                    if ( es != s || ev <= floor || ev >= before || (p != null && ep != p) || (g != null && eg != g) )
                        continue;
                    long[] counts = found.computeIfAbsent(ev, k -> new long[2]);
                    counts[0] += buf.getInt(at + 32);
                    counts[1] += buf.getInt(at + 36);
                    // Entries come in version order, so the oldest kept version can have no more entries.
                    if ( found.size() > keep )
                        found.pollFirstEntry();
                }
            }
        } catch (NoSuchFileException ex) {
            return new TreeMap<>();    // the partition was just pruned: its versions are gone from the log
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': reading the history index " + file + ": " + ex, ex);
        }
        return found;
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
                            wake.wait(IDLE_CHECKPOINT_MILLIS);
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
        synchronized (lock) {
            if ( position == from ) {
                position = first - 1;
                lastId = safeIdOf(position);
                lock.notifyAll();
            }
        }
    }

    /** Add one record's entries to the newest partition and make them visible. */
    private void index(LogRecord r) {
        long version = r.version();
        Partition part;
        synchronized (lock) {
            part = partitions.getLast();
        }
        Collector c = new Collector(part, version);
        try {
            if ( r.payloadLength() <= SMALL_PATCH ) {
                scanSmall(new String(r.payloadBytes(), StandardCharsets.UTF_8), c);
            } else {
                try (InputStream in = r.openPayload()) {
                    new RDFPatchReaderText(in).apply(c);
                }
            }
            c.flush();
            for ( int b = 0 ; b < BUCKETS ; b++ )
                part.channel(b);    // every bucket file exists once the partition holds a version
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': indexing version " + version + " in " + part.dir + ": " + ex, ex);
        }
        synchronized (lock) {
            System.arraycopy(c.written, 0, part.lengths, 0, BUCKETS);
            part.entries = c.entries;
            position = version;
            lastId = r.meta().id();
            lock.notifyAll();
        }
        if ( part.entries >= partitionEntries )
            roll(version + 1);
    }

    /**
     * The quad changes of a small patch, read with Jena's tokenizer over the text in memory:
     * Jena's patch reader sets up a 128K-character stream buffer per patch, which costs more than
     * the rest of indexing a small one.
     */
    private static void scanSmall(String text, Collector c) {
        Tokenizer tok = TokenizerText.create().fromString(text).build();
        Node[] terms = new Node[4];
        while ( tok.hasNext() ) {
            String word = tok.next().getImage();
            boolean quad = "A".equals(word) || "D".equals(word);
            int n = 0;
            while ( true ) {
                Token t = tok.next();
                if ( t.hasType(TokenType.DOT) )
                    break;
                if ( quad ) {
                    if ( n == 4 )
                        throw new IllegalStateException("a quad line with more than four terms: " + t);
                    terms[n++] = t.asNode();
                }
            }
            if ( !quad )
                continue;
            if ( n < 3 )
                throw new IllegalStateException("a quad line with " + n + " terms");
            Node g = n == 4 ? terms[3] : null;
            if ( word.equals("A") )
                c.add(g, terms[0], terms[1], terms[2]);
            else
                c.delete(g, terms[0], terms[1], terms[2]);
        }
    }

    /** Merges one version's changes per (s, p, g) and appends them, a batch at a time, to the bucket files. */
    private final class Collector extends RDFChangesBase {
        private record Key(long s, long p, long g) {}

        private final Partition part;
        private final long version;
        private final Map<Key, int[]> pending = new HashMap<>();
        private final Map<Node, Long> termKeys = new HashMap<>();
        final long[] written;
        long entries;

        Collector(Partition part, long version) {
            this.part = part;
            this.version = version;
            this.written = part.lengths.clone();
            this.entries = part.entries;
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            count(g, s, p, 0);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            count(g, s, p, 1);
        }

        private void count(Node g, Node s, Node p, int which) {
            Key k = new Key(key(s), key(p), TermHash.graph(g));
            pending.computeIfAbsent(k, x -> new int[2])[which]++;
            if ( pending.size() >= FLUSH_ENTRIES ) {
                try {
                    flush();
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            }
        }

        // Predicates and graphs repeat within a patch: hash each once, with the cache bounded like the batch.
        private long key(Node n) {
            Long k = termKeys.get(n);
            if ( k != null )
                return k;
            long h = TermHash.of(n);
            if ( termKeys.size() < FLUSH_ENTRIES )
                termKeys.put(n, h);
            return h;
        }

        void flush() throws IOException {
            if ( pending.isEmpty() )
                return;
            ByteBuffer[] bufs = new ByteBuffer[BUCKETS];
            int[] counts = new int[BUCKETS];
            for ( Key k : pending.keySet() )
                counts[bucketOf(k.s)]++;
            for ( int b = 0 ; b < BUCKETS ; b++ )
                if ( counts[b] > 0 )
                    bufs[b] = ByteBuffer.allocate(counts[b] * ENTRY);
            CRC32C crc = new CRC32C();
            for ( Map.Entry<Key, int[]> e : pending.entrySet() ) {
                Key k = e.getKey();
                ByteBuffer buf = bufs[bucketOf(k.s)];
                int at = buf.position();
                buf.putLong(k.s).putLong(k.p).putLong(k.g).putLong(version).putInt(e.getValue()[0]).putInt(e.getValue()[1]);
                crc.reset();
                crc.update(buf.array(), at, ENTRY - 4);
                buf.putInt((int)crc.getValue());
            }
            for ( int b = 0 ; b < BUCKETS ; b++ ) {
                if ( bufs[b] == null )
                    continue;
                bufs[b].flip();
                FileChannel ch = part.channel(b);
                while ( bufs[b].hasRemaining() )
                    written[b] += ch.write(bufs[b], written[b]);
            }
            entries += pending.size();
            pending.clear();
        }
    }

    // ---- Partitions, checkpoints, pruning

    /** One directory of bucket files, holding versions from {@code first} on. */
    private final class Partition {
        final long first;
        final Path dir;
        final long[] lengths = new long[BUCKETS];   // visible, complete versions only
        long entries;
        private final FileChannel[] channels = new FileChannel[BUCKETS];

        Partition(long first) {
            this.first = first;
            this.dir = HistoryIndex.this.dir.resolve("p" + first);
        }

        FileChannel channel(int b) throws IOException {
            if ( channels[b] == null ) {
                Files.createDirectories(dir);
                channels[b] = FileChannel.open(dir.resolve(bucketName(b)), StandardOpenOption.CREATE, StandardOpenOption.READ,
                                               StandardOpenOption.WRITE);
            }
            return channels[b];
        }

        void force() throws IOException {
            for ( FileChannel ch : channels )
                if ( ch != null )
                    ch.force(false);
        }

        void closeFiles() {
            for ( int b = 0 ; b < BUCKETS ; b++ ) {
                if ( channels[b] != null ) {
                    try {
                        channels[b].close();
                    } catch (IOException ex) {
                        LOG.debug("Dataset '{}': closing {}: {}", dataset, dir, ex.toString());
                    }
                    channels[b] = null;
                }
            }
        }
    }

    private static String bucketName(int b) {
        return String.format("b%02d", b);
    }

    private static int bucketOf(long subjectKey) {
        return (int)(subjectKey >>> (64 - BUCKET_BITS));
    }

    private void roll(long nextFirst) {
        synchronized (lock) {
            Partition old = partitions.getLast();
            try {
                old.force();
            } catch (IOException ex) {
                throw new UncheckedIOException("Dataset '" + dataset + "': sealing history index partition " + old.dir + ": " + ex, ex);
            }
            old.closeFiles();
            partitions.add(new Partition(nextFirst));
        }
        checkpoint();
    }

    /** Delete partitions all of whose versions retention has removed from the log. */
    private void prune() {
        long first = log.firstVersion();
        List<Partition> gone = new ArrayList<>();
        synchronized (lock) {
            while ( partitions.size() > 1 && partitions.get(1).first <= first )
                gone.add(partitions.removeFirst());
        }
        if ( gone.isEmpty() )
            return;
        checkpoint();
        for ( Partition p : gone ) {
            p.closeFiles();
            deleteTree(p.dir);
            LOG.debug("Dataset '{}': history index partition {} pruned (the log starts at version {})", dataset, p.dir.getFileName(), first);
        }
    }

    /** Force the newest partition to disk and record what is durable. */
    private void checkpoint() {
        synchronized (lock) {
            Partition cur = partitions.getLast();
            try {
                cur.force();
                StringBuilder sb = new StringBuilder();
                sb.append("version=").append(position).append('\n');
                sb.append("lastId=").append(lastId == null ? "" : lastId.toString()).append('\n');
                sb.append("partitions=");
                for ( int i = 0 ; i < partitions.size() ; i++ )
                    sb.append(i == 0 ? "" : ",").append(partitions.get(i).first);
                sb.append('\n');
                sb.append("lengths=");
                for ( int b = 0 ; b < BUCKETS ; b++ )
                    sb.append(b == 0 ? "" : ",").append(cur.lengths[b]);
                sb.append('\n');
                byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
                CRC32C crc = new CRC32C();
                crc.update(body);
                Path tmp = dir.resolve(CHECKPOINT + ".tmp");
                try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                    ch.write(ByteBuffer.wrap(body));
                    ch.write(ByteBuffer.wrap(("crc=" + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8)));
                    ch.force(true);
                }
                Files.move(tmp, dir.resolve(CHECKPOINT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                checkpointedPosition = position;
                lastCheckpoint = System.currentTimeMillis();
            } catch (IOException ex) {
                LOG.warn("Dataset '{}': history index checkpoint at version {} failed: {}; the versions since the last one are indexed again after a restart",
                         dataset, position, ex.toString());
            }
        }
    }

    /** A reason to rebuild the index rather than trust it. */
    private static final class IndexProblem extends Exception {
        final boolean fresh;

        IndexProblem(String message) {
            this(message, false);
        }

        IndexProblem(String message, boolean fresh) {
            super(message, null, false, false);
            this.fresh = fresh;
        }
    }

    /** Load the index as of its checkpoint; the caller holds the lock. */
    private void load() throws IOException, IndexProblem {
        Path cp = dir.resolve(CHECKPOINT);
        if ( !Files.exists(cp) )
            throw new IndexProblem("no checkpoint", !Files.isDirectory(dir));
        String text = Files.readString(cp, StandardCharsets.UTF_8);
        int crcAt = text.lastIndexOf("crc=");
        if ( crcAt < 0 )
            throw new IndexProblem("checkpoint has no checksum");
        CRC32C crc = new CRC32C();
        crc.update(text.substring(0, crcAt).getBytes(StandardCharsets.UTF_8));
        if ( !Long.toHexString(crc.getValue()).equals(text.substring(crcAt + 4).trim()) )
            throw new IndexProblem("checkpoint fails its checksum");
        Map<String, String> props = new HashMap<>();
        for ( String line : text.substring(0, crcAt).split("\n") ) {
            int eq = line.indexOf('=');
            if ( eq > 0 )
                props.put(line.substring(0, eq), line.substring(eq + 1));
        }
        long version;
        UUID id;
        long[] firsts;
        long[] lengths;
        try {
            version = Long.parseLong(props.get("version"));
            id = props.get("lastId").isEmpty() ? null : UUID.fromString(props.get("lastId"));
            firsts = Stream.of(props.get("partitions").split(",")).mapToLong(Long::parseLong).toArray();
            lengths = Stream.of(props.get("lengths").split(",")).mapToLong(Long::parseLong).toArray();
        } catch (RuntimeException ex) {
            throw new IndexProblem("checkpoint unreadable: " + ex);
        }
        if ( lengths.length != BUCKETS || firsts.length == 0 )
            throw new IndexProblem("checkpoint lists " + lengths.length + " buckets and " + firsts.length + " partitions");
        // Does it describe this log's history?
        if ( version > log.publishedVersion() )
            throw new IndexProblem("it is at version " + version + ", after the log's last version " + log.publishedVersion());
        if ( version > 0 && version < log.firstVersion() - 1 )
            throw new IndexProblem("it ends at version " + version + ", before the log's oldest version " + log.firstVersion());
        if ( version > 0 ) {
            UUID logId;
            try {
                logId = log.idOf(version);
            } catch (RuntimeException ex) {
                throw new IndexProblem("the log cannot confirm version " + version + ": " + ex.getMessage());
            }
            if ( !Objects.equals(logId, id) )
                throw new IndexProblem("its version " + version + " is patch " + id + " but the log's is " + logId);
        }
        // Partitions after the checkpoint's newest hold only versions it does not cover.
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "p*")) {
            for ( Path p : ds ) {
                long first;
                try {
                    first = Long.parseLong(p.getFileName().toString().substring(1));
                } catch (NumberFormatException ex) {
                    continue;
                }
                if ( first > firsts[firsts.length - 1] )
                    deleteTree(p);
            }
        }
        for ( int i = 0 ; i < firsts.length ; i++ ) {
            Partition part = new Partition(firsts[i]);
            boolean newest = i == firsts.length - 1;
            for ( int b = 0 ; b < BUCKETS ; b++ ) {
                Path f = part.dir.resolve(bucketName(b));
                long size = Files.exists(f) ? Files.size(f) : 0;
                if ( newest ) {
                    if ( size < lengths[b] )
                        throw new IndexProblem(f + " is " + size + " bytes, shorter than its checkpointed " + lengths[b]);
                    if ( size > lengths[b] ) {
                        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
                            ch.truncate(lengths[b]);
                        }
                    }
                    part.lengths[b] = lengths[b];
                } else {
                    if ( !Files.exists(f) )
                        throw new IndexProblem(f + " is missing");
                    if ( size % ENTRY != 0 )
                        throw new IndexProblem(f + " is " + size + " bytes, not a whole number of entries");
                    part.lengths[b] = size;
                }
                part.entries += verify(f, part.lengths[b], version);
            }
            partitions.add(part);
        }
        position = version;
        lastId = id;
        checkpointedPosition = version;
        LOG.info("Dataset '{}': history index {} open at version {} ({} partition(s)); indexing versions {}..{}", dataset, dir, version,
                 partitions.size(), version + 1, log.publishedVersion());
    }

    /** Check every entry of a bucket file up to {@code length}: its checksum, and a version no later than {@code maxVersion}. */
    private static long verify(Path f, long length, long maxVersion) throws IOException, IndexProblem {
        if ( length == 0 )
            return 0;
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(ENTRY * 1024);
        long pos = 0;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            while ( pos < length ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), length - pos));
                while ( buf.hasRemaining() )
                    if ( ch.read(buf, pos + buf.position()) < 0 )
                        throw new IndexProblem(f + " ends early");
                for ( int at = 0 ; at + ENTRY <= buf.limit() ; at += ENTRY ) {
                    crc.reset();
                    crc.update(buf.array(), at, ENTRY - 4);
                    if ( (int)crc.getValue() != buf.getInt(at + ENTRY - 4) )
                        throw new IndexProblem("entry at byte " + (pos + at) + " of " + f + " fails its checksum");
                    if ( buf.getLong(at + 24) > maxVersion )
                        throw new IndexProblem("entry at byte " + (pos + at) + " of " + f + " is for a version after the checkpoint");
                }
                pos += buf.limit();
            }
        }
        return length / ENTRY;
    }

    /** Start again, empty, just before the log's oldest version; the caller holds the lock. */
    private void wipe() {
        partitions.forEach(Partition::closeFiles);
        partitions.clear();
        deleteTree(dir);
        try {
            Files.createDirectories(dir);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': cannot create the history index directory " + dir + ": " + ex, ex);
        }
        long start = log.firstVersion();
        partitions.add(new Partition(start));
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
        log.removePublishListener(listener);
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
            partitions.forEach(Partition::closeFiles);
            lock.notifyAll();
        }
        LOG.debug("Dataset '{}': history index closed at version {}", dataset, position);
    }
}
