package org.fusekicdc.core.internal.snapshot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Iterator;
import java.util.UUID;
import java.util.function.Predicate;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.CdcException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consistent dump of a captured dataset at a known version, as one RDF Patch that adds every
 * quad and prefix: its {@code id} and {@code version} headers are those of the version it shows,
 * so a replica loaded from it continues with the next patch.
 * <p>
 * Writing holds a read transaction for the duration (writers are never blocked) and streams, so
 * memory does not grow with the dataset. Loading ({@link #load}) is crash-safe: the change log
 * records that a load is under way, and a restart finishes it from the same file.
 */
public final class Snapshot implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshot.class);
    /** Header that marks a patch as a snapshot rather than a change. */
    public static final String SNAPSHOT_HEADER = "snapshot";

    private final CapturingDatasetGraph dsg;
    private final long version;
    private final UUID id;
    private boolean open = true;

    private Snapshot(CapturingDatasetGraph dsg, long version, UUID id) {
        this.dsg = dsg;
        this.version = version;
        this.id = id;
    }

    /**
     * Begin a snapshot on this thread: a read transaction at a known version, ended by
     * {@link #close}.
     */
    public static Snapshot begin(CapturingDatasetGraph dsg) {
        long version = dsg.beginReadAtKnownVersion();
        try {
            return new Snapshot(dsg, version, dsg.changeLog().idOf(version));
        } catch (RuntimeException ex) {
            dsg.end();
            throw ex;
        }
    }

    public long version() {
        return version;
    }

    /** The id of the patch that made this version; null for version 0 (an empty dataset that was never written). */
    public UUID id() {
        return id;
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /** The file name of this snapshot: {@code <dataset>-<version>.rdfp}. */
    public String fileName() {
        return dataset().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + version + ".rdfp";
    }

    /** Write the snapshot as RDF Patch text; returns the number of quads. */
    public long writeTo(OutputStream out) {
        return writeTo(out, q -> true);
    }

    /** Write the snapshot with only the quads {@code include} accepts (one reader's view); returns the number written. */
    public long writeTo(OutputStream out, Predicate<Quad> include) {
        if ( !open )
            throw new IllegalStateException("Dataset '" + dataset() + "': snapshot at version " + version + " is closed");
        long[] quadCount = {0};
        RDFChangesWriterText w = RDFChangesWriterText.create(out);
        if ( id != null )
            w.header(PatchHeaders.ID, Id.fromUUID(id).asNode());
        w.header(PatchHeaders.VERSION, NodeFactory.createLiteralDT(Long.toString(version), XSDDatatype.XSDinteger));
        long epoch = dsg.changeLog().epoch();
        if ( epoch > 0 )
            w.header(PatchHeaders.EPOCH, NodeFactory.createLiteralDT(Long.toString(epoch), XSDDatatype.XSDinteger));
        w.header(PatchHeaders.DATASET, NodeFactory.createLiteralString(dsg.datasetName()));
        w.header(PatchHeaders.TIMESTAMP, NodeFactory.createLiteralDT(Instant.now().toString(), XSDDatatype.XSDdateTime));
        w.header(SNAPSHOT_HEADER, NodeFactory.createLiteralDT("true", XSDDatatype.XSDboolean));
        w.txnBegin();
        dsg.prefixes().forEach((prefix, iri) -> w.addPrefix(null, prefix, iri));
        Iterator<Quad> quads = dsg.find();
        try {
            quads.forEachRemaining(q -> {
                if ( !include.test(q) )
                    return;
                w.add(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
                quadCount[0]++;
            });
        } finally {
            Iter.close(quads);
        }
        w.txnCommit();
        w.finish();
        return quadCount[0];
    }

    /** A snapshot written to a file: where, at which version, how many quads. */
    public record Written(Path file, long version, long quads) {}

    /**
     * Write the dataset at its current version to {@code <dir>/<dataset>-<version>.rdfp},
     * atomically (a partial file is never left under the final name).
     */
    public static Written writeFile(CapturingDatasetGraph dsg, Path dir) {
        try (Snapshot s = begin(dsg)) {
            Files.createDirectories(dir);
            Path target = dir.resolve(s.fileName());
            Path tmp = Files.createTempFile(dir, s.fileName(), ".tmp");
            long quads;
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    quads = s.writeTo(out);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.info("Dataset '{}': snapshot at version {} written to {} ({} quads)", s.dataset(), s.version(), target, quads);
            return new Written(target, s.version(), quads);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dsg.datasetName() + "': cannot write a snapshot in " + dir + ": " + ex
                                           + ". Check the directory's free space and permissions.", ex);
        }
    }

    @Override
    public void close() {
        if ( open ) {
            open = false;
            dsg.end();
        }
    }

    // ---- Loading

    /**
     * Replace a follower's data with a snapshot file and make its change log continue after the
     * snapshot's version. Crash-safe: the load is first recorded in the change log
     * ({@link CapturingDatasetGraph#markRebase}); a load that a crash interrupts is finished at the next
     * start by {@link #finishInterruptedLoad}, from the same file, which is kept until then.
     *
     * @param replaceHistory false for a follower's first start: the log must be empty and the
     *        dataset must hold no data; true to resynchronise: the data and the log's versions are
     *        discarded
     * @throws CdcException if the file is not a snapshot, or (first start) the dataset is not empty
     */
    public static long load(CapturingDatasetGraph dsg, Path file, boolean replaceHistory) {
        ChangeLog log = dsg.changeLog();
        SnapshotHeader header = readHeader(file);
        if ( !replaceHistory ) {
            if ( log.headVersion() != 0 )
                throw new CdcException("Dataset '" + dsg.datasetName() + "': cannot load a snapshot: the change log already holds versions up to "
                                       + log.headVersion() + ". A snapshot only starts an empty follower.");
            DatasetGraph store = dsg.getWrapped();
            if ( !Txn.calculateRead(store, store::isEmpty) )
                throw new CdcException("Dataset '" + dsg.datasetName() + "': cannot load a snapshot: the dataset holds data but its change log is empty."
                                       + " A follower must start empty: point it at an empty database directory, or remove this one's content.");
        }
        dsg.markRebase(header.version, header.id, file);
        replace(dsg, file, header);
        LOG.info("Dataset '{}': loaded snapshot of version {} (patch {}) from {}", dsg.datasetName(), header.version, header.id, file);
        return header.version;
    }

    /**
     * Finish a snapshot load that a crash interrupted, from the file it was loading.
     *
     * @return true if there was one
     * @throws CdcException if the snapshot file is gone
     */
    public static boolean finishInterruptedLoad(CapturingDatasetGraph dsg) {
        ChangeLog.Rebase pending = dsg.changeLog().pendingRebase();
        if ( pending == null )
            return false;
        Path file = pending.snapshotFile();
        if ( !Files.exists(file) )
            throw new CdcException("Dataset '" + dsg.datasetName() + "': a snapshot load of version " + pending.version() + " was interrupted and its file "
                                   + file + " is gone. Stop the server, delete the dataset's database directory and its cdc:logDirectory, and start"
                                   + " it again to load a new snapshot.");
        LOG.warn("Dataset '{}': finishing the snapshot load of version {} that a crash interrupted", dsg.datasetName(), pending.version());
        replace(dsg, file, readHeader(file));
        return true;
    }

    private static void replace(CapturingDatasetGraph dsg, Path file, SnapshotHeader header) {
        dsg.replaceAndRebase(store -> {
            try (InputStream in = Files.newInputStream(file)) {
                new RDFPatchReaderText(in).apply(new Loader(store));
            } catch (IOException ex) {
                throw new UncheckedIOException("cannot read snapshot " + file + ": " + ex, ex);
            }
        }, header.version, header.id);
    }

    /** The version and id a snapshot file shows. */
    public record SnapshotHeader(long version, UUID id) {}

    public static SnapshotHeader readHeader(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            var h = RDFPatchReaderText.readerHeader(in);
            Node version = h.get(PatchHeaders.VERSION);
            Node id = h.getId();
            if ( h.get(SNAPSHOT_HEADER) == null || version == null )
                throw new CdcException(file + " is not a fuseki-cdc snapshot: it lacks the snapshot or version header."
                                       + " Take the snapshot from the leader's cdc:snapshot endpoint.");
            long v = Long.parseLong(version.getLiteralLexicalForm());
            if ( v > 0 && id == null )
                throw new CdcException(file + " is a snapshot of version " + v + " without the id of that version; it cannot start a follower.");
            return new SnapshotHeader(v, id == null ? null : UUID.fromString(Id.fromNode(id).asPlainString()));
        } catch (IOException ex) {
            throw new UncheckedIOException("cannot read snapshot " + file + ": " + ex, ex);
        } catch (RuntimeException ex) {
            if ( ex instanceof CdcException )
                throw ex;
            throw new CdcException(file + " is not a readable RDF Patch snapshot: " + ex.getMessage(), ex);
        }
    }

    /** Applies a snapshot's adds and prefixes to the store, in the caller's transaction. */
    private static final class Loader extends RDFChangesBase {
        private final DatasetGraph store;

        Loader(DatasetGraph store) {
            this.store = store;
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            store.add(g == null ? Quad.defaultGraphIRI : g, s, p, o);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            throw new CdcException("a snapshot only adds; this one deletes " + Quad.create(g, s, p, o));
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            store.prefixes().add(prefix, uriStr);
        }
    }
}
