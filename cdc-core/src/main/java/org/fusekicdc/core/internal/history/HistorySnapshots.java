package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.History;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic copies of a captured dataset, kept so that an as-of read far back starts from the
 * nearest copy at or after the version it wants instead of the current state, and undoes fewer
 * patches. Every {@code every} versions a background thread copies the dataset, at a known
 * version, into a TDB2 database {@code <dir>/v<version>} (written under a temporary name, then
 * renamed); the newest {@code kept} are kept, and none older than the oldest version the log
 * still reaches back to (it would serve nothing). Each copy records the history it belongs to:
 * copies of another history (a new epoch) are removed at start.
 */
public final class HistorySnapshots implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HistorySnapshots.class);
    private static final String PREFIX = "v";
    private static final String INFO = "history-snapshot.properties";
    private static final int BATCH = 100_000;

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final Path dir;
    private final long every;
    private final int kept;
    private final TreeMap<Long, Copy> copies = new TreeMap<>();
    private final ExecutorService worker;
    private final AtomicBoolean taking = new AtomicBoolean();
    private final Runnable onPublish = this::maybeTake;
    private volatile boolean closed;

    /** One copy: opened on first use, removed when retired and no read uses it. */
    private static final class Copy {
        final long version;
        final Path path;
        DatasetGraph dataset;
        int users;
        boolean retired;

        Copy(long version, Path path) {
            this.version = version;
            this.path = path;
        }
    }

    /** A copy in use by one read; {@link #close} when done. */
    public final class Lease implements AutoCloseable {
        private final Copy copy;
        private boolean open = true;

        private Lease(Copy copy) {
            this.copy = copy;
        }

        public long version() {
            return copy.version;
        }

        /** The copy's dataset; the reader begins and ends its own read transaction on it. */
        public DatasetGraph dataset() {
            return copy.dataset;
        }

        @Override
        public void close() {
            if ( open ) {
                open = false;
                release(copy);
            }
        }
    }

    /**
     * @param every take a copy each time this many versions have been published since the last
     * @param kept  how many copies to keep
     */
    public HistorySnapshots(CapturingDatasetGraph dsg, Path dir, long every, int kept) {
        if ( every < 1 || kept < 1 )
            throw new IllegalArgumentException("every (" + every + ") and kept (" + kept + ") must be at least 1");
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.dir = dir;
        this.every = every;
        this.kept = kept;
        this.worker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "cdc-history-snapshots-" + dsg.datasetName());
            t.setDaemon(true);
            return t;
        });
    }

    /** Find the copies already on disk (removing unfinished ones and those of another history) and start taking new ones. */
    public void start() {
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
                for ( Path p : entries ) {
                    String name = p.getFileName().toString();
                    Long version = versionOf(name);
                    if ( version != null && belongsHere(p, version) ) {
                        synchronized (this) {
                            copies.put(version, new Copy(version, p));
                        }
                        continue;
                    }
                    LOG.info("Dataset '{}': removing {} (an unfinished history snapshot or one of another history)", dsg.datasetName(), p);
                    IOX.deleteAll(p);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dsg.datasetName() + "': cannot read the history snapshot directory " + dir + ": " + ex
                                           + ". Check its permissions.", ex);
        }
        prune();
        log.addPublishListener(onPublish);
        maybeTake();
    }

    private static Long versionOf(String name) {
        if ( !name.startsWith(PREFIX) )
            return null;
        try {
            return Long.parseLong(name.substring(PREFIX.length()));
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private boolean belongsHere(Path p, long version) {
        Path info = p.resolve(INFO);
        if ( !Files.exists(info) || version > log.headVersion() )
            return false;
        Properties props = new Properties();
        try (InputStream in = Files.newInputStream(info)) {
            props.load(in);
        } catch (IOException ex) {
            return false;
        }
        History h = log.history();
        return Objects.equals(props.getProperty("history"), h == null ? "" : h.id().toString());
    }

    /** The versions of the copies kept, oldest first. */
    public synchronized List<Long> versions() {
        return new ArrayList<>(copies.keySet());
    }

    /**
     * The copy to start a read as of {@code version} from when it is nearer than {@code head}:
     * the oldest copy at or after {@code version} and before {@code head}; null if none.
     */
    public synchronized Lease nearest(long version, long head) {
        Map.Entry<Long, Copy> e = copies.ceilingEntry(version);
        if ( e == null || e.getKey() >= head || closed )
            return null;
        Copy c = e.getValue();
        if ( c.dataset == null )
            c.dataset = TDB2Factory.connectDataset(c.path.toString()).asDatasetGraph();
        c.users++;
        return new Lease(c);
    }

    private synchronized void release(Copy c) {
        c.users--;
        if ( c.retired && c.users == 0 )
            remove(c);
    }

    private void maybeTake() {
        if ( closed )
            return;
        long newest;
        synchronized (this) {
            newest = copies.isEmpty() ? 0 : copies.lastKey();
        }
        if ( log.publishedVersion() - newest < every || !taking.compareAndSet(false, true) )
            return;
        try {
            worker.execute(() -> {
                boolean taken = false;
                try {
                    take();
                    taken = true;
                } catch (RuntimeException ex) {
                    LOG.warn("Dataset '{}': a history snapshot failed; the next publish tries again: {}", dsg.datasetName(), ex.toString(), ex);
                } finally {
                    taking.set(false);
                }
                // Versions published while this copy was taken may already call for the next.
                if ( taken )
                    maybeTake();
            });
        } catch (java.util.concurrent.RejectedExecutionException ex) {
            taking.set(false);
        }
    }

    /** Copy the dataset at a known version now, on this thread; returns the version. */
    public long take() {
        Path tmp = dir.resolve("tmp-" + UUID.randomUUID());
        long t0 = System.nanoTime();
        long version;
        long quads = 0;
        DatasetGraph target = TDB2Factory.connectDataset(tmp.toString()).asDatasetGraph();
        try {
            version = dsg.beginReadAtKnownVersion();
            try {
                Txn.executeWrite(target, () -> dsg.prefixes().forEach((p, iri) -> target.prefixes().add(p, iri)));
                Iterator<Quad> it = dsg.find();
                try {
                    while ( it.hasNext() ) {
                        target.begin(TxnType.WRITE);
                        try {
                            for ( int i = 0 ; i < BATCH && it.hasNext() ; i++, quads++ )
                                target.add(it.next());
                            target.commit();
                        } finally {
                            target.end();
                        }
                    }
                } finally {
                    Iter.close(it);
                }
            } finally {
                dsg.end();
            }
        } finally {
            TDBInternal.expel(target);
        }
        Properties props = new Properties();
        History h = log.history();
        props.setProperty("history", h == null ? "" : h.id().toString());
        props.setProperty("version", Long.toString(version));
        Path target2 = dir.resolve(PREFIX + version);
        try {
            try (OutputStream out = Files.newOutputStream(tmp.resolve(INFO))) {
                props.store(out, "fuseki-cdc history snapshot");
            }
            synchronized (this) {
                if ( copies.containsKey(version) || closed ) {
                    IOX.deleteAll(tmp);
                    return version;
                }
                Files.move(tmp, target2, StandardCopyOption.ATOMIC_MOVE);
                copies.put(version, new Copy(version, target2));
                // In the same lock: no reader sees more than the copies kept.
                prune();
            }
        } catch (IOException ex) {
            IOX.deleteAll(tmp);
            throw new UncheckedIOException("Dataset '" + dsg.datasetName() + "': cannot write the history snapshot " + target2 + ": " + ex
                                           + ". Check the free space and permissions of " + dir + ".", ex);
        }
        LOG.info("Dataset '{}': history snapshot at version {} ({} quads, {} ms)", dsg.datasetName(), version, quads, (System.nanoTime() - t0) / 1_000_000);
        return version;
    }

    /** Retire copies beyond the newest {@code kept}, and those older than the oldest version the log reaches back to. */
    private synchronized void prune() {
        long oldest = AsOfRead.oldestReachable(log);
        List<Copy> retire = new ArrayList<>();
        int n = copies.size();
        for ( Copy c : copies.values() ) {
            if ( n > kept || c.version < oldest ) {
                retire.add(c);
                n--;
            }
        }
        for ( Copy c : retire ) {
            copies.remove(c.version);
            c.retired = true;
            if ( c.users == 0 )
                remove(c);
        }
    }

    private void remove(Copy c) {
        if ( c.dataset != null )
            TDBInternal.expel(c.dataset);
        c.dataset = null;
        IOX.deleteAll(c.path);
        LOG.info("Dataset '{}': history snapshot at version {} removed", dsg.datasetName(), c.version);
    }

    /** Stop taking copies (a copy under way is waited for, boundedly) and close the open ones. */
    @Override
    public void close() {
        closed = true;
        log.removePublishListener(onPublish);
        worker.shutdown();
        try {
            if ( !worker.awaitTermination(60, TimeUnit.SECONDS) )
                LOG.warn("Dataset '{}': a history snapshot still under way after 60 s; left to finish", dsg.datasetName());
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            for ( Copy c : copies.values() ) {
                if ( c.dataset != null )
                    TDBInternal.expel(c.dataset);
                c.dataset = null;
            }
        }
    }
}
