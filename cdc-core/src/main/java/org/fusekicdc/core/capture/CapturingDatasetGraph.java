package org.fusekicdc.core.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.riot.system.PrefixMapWrapper;
import org.apache.jena.shared.JenaException;
import org.apache.jena.shared.PrefixMapping;
import org.apache.jena.sparql.JenaTransactionException;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.core.GraphView;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.PayloadWriter;
import org.fusekicdc.core.log.RecordMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A dataset whose every committed write transaction is recorded as one RDF Patch in a
 * {@link ChangeLog}.
 * <p>
 * Every write path ends in {@link #add}, {@link #delete} or a prefix change of this wrapper:
 * graphs handed out are views over it, and whole-dataset operations ({@code clear},
 * {@code deleteAny}, {@code removeGraph}, {@code addGraph}) are expanded into quad deletes and
 * adds here rather than passed to the store. Only real changes are recorded (adding a quad
 * already present, or deleting one absent, records nothing) and their net effect is kept per
 * transaction, so an add followed by a delete of the same quad leaves nothing.
 * <p>
 * Changes are recorded in the store's terms (see {@link StoreWrites}): on TDB2 a literal it
 * keeps by value is recorded in the canonical form it reads back ({@code 1.5} for an added
 * {@code "01.50"^^xsd:decimal}), so an add and its later delete name the same term and a
 * replay onto any store reproduces the dataset.
 * <p>
 * Order at commit: the patch is appended to the log, then the store commits, then the record is
 * published to readers. The record is durable before the store's commit point
 * ({@link LogForce}). If the store's commit fails, the record is removed before the writer lock
 * is released. If the process dies between append and store commit, start-up recovery
 * ({@link CommitRecovery}) decides the last record by looking at the data.
 * <p>
 * The wrapped dataset must be transactional with a single writer at a time (TDB2, TIM).
 */
public final class CapturingDatasetGraph extends DatasetGraphWrapper {
    private static final Logger LOG = LoggerFactory.getLogger(CapturingDatasetGraph.class);
    private static final int DELETE_BATCH = 10_000;

    private final ChangeLog log;
    private final CaptureConfig config;
    // Single-quad writes that report real changes in the store's terms.
    private final StoreWrites storeWrites;
    // The version the store holds while no commit is under way; -1 during a store commit.
    // Lets readers open a snapshot and know exactly which version it shows (beginReadAtKnownVersion).
    private final AtomicLong stableVersion;
    // The open write transaction's changes; only touched by the thread in WRITE mode.
    private TransactionChanges changes;
    // Held from log append to publish: the store's writer lock is released when its commit returns.
    private final ReentrantLock commitLock = new ReentrantLock();
    // Makes each appended record durable before the store's commit point.
    private final LogForce logForce;
    // Set while a leader's patch is applied (applyFromLeader); only touched by the writing thread.
    private Replicated replicating;
    // Non-null while this dataset follows a leader: why local writes are refused.
    private volatile String followerOf;

    /** A leader's patch being applied: the identity it keeps, its extra headers, how many quad changes it holds. */
    private static final class Replicated {
        final RecordMeta meta;
        final Map<String, String> headers;
        long quadChanges = -1;

        Replicated(RecordMeta meta, Map<String, String> headers) {
            this.meta = meta;
            this.headers = headers;
        }
    }

    private CapturingDatasetGraph(DatasetGraph base, ChangeLog log, CaptureConfig config) {
        super(base);
        this.log = log;
        this.config = config;
        this.storeWrites = new StoreWrites(base);
        this.stableVersion = new AtomicLong(log.publishedVersion());
        this.logForce = new LogForce(base, log);
    }

    /**
     * Wrap {@code base} so that its transactions are captured into {@code log}. First settles
     * the log against the data after an unclean stop (see {@link CommitRecovery}).
     */
    public static CapturingDatasetGraph create(DatasetGraph base, ChangeLog log, CaptureConfig config) {
        if ( !base.supportsTransactions() || !base.supportsTransactionAbort() )
            throw new CdcConfigException("Dataset '" + log.dataset() + "': the dataset to capture (" + base.getClass().getSimpleName()
                                         + ") does not support transactions with abort; use a TDB2 or in-memory transactional dataset (ja:MemoryDataset).");
        CommitRecovery.recover(base, log);
        cleanSpillDirectory(config.spillDirectory(), log.dataset());
        return new CapturingDatasetGraph(base, log, config);
    }

    private static void cleanSpillDirectory(Path dir, String dataset) {
        if ( !Files.isDirectory(dir) )
            return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "{run,net}-*.rdfp")) {
            for ( Path p : ds )
                Files.deleteIfExists(p);
        } catch (IOException ex) {
            LOG.warn("Dataset '{}': could not clean spill directory {}: {}", dataset, dir, ex.toString());
        }
    }

    public ChangeLog changeLog() {
        return log;
    }

    public String datasetName() {
        return log.dataset();
    }

    // ---- Quads

    @Override
    public void add(Quad quad) {
        add(quad.getGraph(), quad.getSubject(), quad.getPredicate(), quad.getObject());
    }

    @Override
    public void delete(Quad quad) {
        delete(quad.getGraph(), quad.getSubject(), quad.getPredicate(), quad.getObject());
    }

    @Override
    public void add(Node g, Node s, Node p, Node o) {
        Node gn = graphName(g);
        requireConcrete(gn, s, p, o);
        TransactionChanges tc = writing();
        Quad stored = storeWrites.add(gn, s, p, o);
        if ( stored != null )
            tc.added(stored);
    }

    @Override
    public void delete(Node g, Node s, Node p, Node o) {
        Node gn = graphName(g);
        requireConcrete(gn, s, p, o);
        TransactionChanges tc = writing();
        Quad stored = storeWrites.delete(gn, s, p, o);
        if ( stored != null )
            tc.deleted(stored);
    }

    @Override
    public void deleteAny(Node g, Node s, Node p, Node o) {
        TransactionChanges tc = writing();
        // Delete in batches: a store's iterator may not survive deletes under it.
        while ( true ) {
            List<Quad> batch = new ArrayList<>(DELETE_BATCH);
            Iterator<Quad> iter = get().find(g, s, p, o);
            try {
                while ( iter.hasNext() && batch.size() < DELETE_BATCH )
                    batch.add(iter.next());
            } finally {
                Iter.close(iter);
            }
            for ( Quad q : batch ) {
                get().delete(q);
                tc.deleted(q);
            }
            if ( batch.size() < DELETE_BATCH )
                return;
        }
    }

    @Override
    public void clear() {
        deleteAny(Node.ANY, Node.ANY, Node.ANY, Node.ANY);
    }

    @Override
    public void removeGraph(Node graphName) {
        deleteAny(graphName, Node.ANY, Node.ANY, Node.ANY);
    }

    @Override
    public void addGraph(Node graphName, Graph graph) {
        removeGraph(graphName);
        graph.find().forEachRemaining(t -> add(graphName, t.getSubject(), t.getPredicate(), t.getObject()));
    }

    private static Node graphName(Node g) {
        return g == null ? Quad.defaultGraphIRI : g;
    }

    private void requireConcrete(Node g, Node s, Node p, Node o) {
        if ( !g.isConcrete() || !s.isConcrete() || !p.isConcrete() || !o.isConcrete() )
            throw new JenaException("Dataset '" + datasetName() + "': cannot add or delete a quad with a variable or wildcard: "
                                    + Quad.create(g, s, p, o));
    }

    // ---- Graphs and prefixes: views over this wrapper, so their writes are captured.

    @Override
    public Graph getDefaultGraph() {
        return GraphView.createDefaultGraph(this);
    }

    @Override
    public Graph getGraph(Node graphNode) {
        return GraphView.createNamedGraph(this, graphNode);
    }

    @Override
    public Graph getUnionGraph() {
        return GraphView.createUnionGraph(this);
    }

    @Override
    public PrefixMap prefixes() {
        return new RecordingPrefixMap(get().prefixes());
    }

    /** Prefix changes of the dataset, recorded as PA/PD when they change a mapping. */
    private final class RecordingPrefixMap extends PrefixMapWrapper {
        private final PrefixMap store;

        RecordingPrefixMap(PrefixMap store) {
            super(store);
            this.store = store;
        }

        @Override
        public void add(String prefix, String iri) {
            String before = store.get(prefix);
            if ( Objects.equals(before, iri) )
                return;
            TransactionChanges tc = writing();
            store.add(prefix, iri);
            tc.prefixChanged(prefix, before, iri);
        }

        @Override
        public void delete(String prefix) {
            String before = store.get(prefix);
            if ( before == null )
                return;
            TransactionChanges tc = writing();
            store.delete(prefix);
            tc.prefixChanged(prefix, before, null);
        }

        @Override
        public void putAll(PrefixMap pmap) {
            pmap.forEach(this::add);
        }

        @Override
        public void putAll(PrefixMapping pmap) {
            pmap.getNsPrefixMap().forEach(this::add);
        }

        @Override
        public void putAll(Map<String, String> mapping) {
            mapping.forEach(this::add);
        }

        @Override
        public void clear() {
            store.getMappingCopy().keySet().forEach(this::delete);
        }
    }

    // ---- Transactions

    /** The changes of the current write transaction, promoting a read transaction if it can. */
    private TransactionChanges writing() {
        if ( super.transactionMode() != ReadWrite.WRITE ) {
            if ( !isInTransaction() )
                throw new JenaTransactionException("Dataset '" + datasetName() + "' is captured by fuseki-cdc: write inside a transaction"
                                                   + " (for example Txn.executeWrite) so the change can be logged.");
            if ( !promote() )
                throw new JenaTransactionException("Dataset '" + datasetName() + "': cannot write in a read transaction");
        }
        if ( changes == null )
            changes = new TransactionChanges(config.spillThreshold(), config.spillDirectory());
        return changes;
    }

    private boolean inWriteWithChanges() {
        return changes != null && isInTransaction() && super.transactionMode() == ReadWrite.WRITE;
    }

    @Override
    public void commit() {
        commit(Map.of());
    }

    /**
     * Commit the write transaction on this thread, adding {@code headers} to its patch (after
     * the standard headers and the {@link CommitAttributes}). This is how a writer that is not an
     * HTTP request, such as a source streaming another database's changes, names where a change
     * came from. Headers are ignored when the transaction changed nothing (no patch is logged).
     */
    public void commit(Map<String, String> headers) {
        Replicated replica = replicating;
        if ( replica != null && changes == null && super.transactionMode() == ReadWrite.WRITE )
            changes = new TransactionChanges(config.spillThreshold(), config.spillDirectory());
        if ( !inWriteWithChanges() ) {
            super.commit();
            return;
        }
        TransactionChanges tc = changes;
        changes = null;
        long t0 = System.nanoTime();
        try (tc) {
            long quadChanges;
            try {
                quadChanges = tc.settle();
            } catch (RuntimeException ex) {
                // The changes could not be spilled or merged (disk full): not logged, so not committed.
                super.abort();
                throw ex;
            }
            if ( replica == null && followerOf != null && !tc.isEmpty() ) {
                super.abort();
                throw new JenaTransactionException(followerOf);
            }
            if ( replica != null && quadChanges != replica.quadChanges ) {
                super.abort();
                throw new ReplicaDivergedException(datasetName(), replica.meta, replica.quadChanges, quadChanges);
            }
            if ( tc.isEmpty() && replica == null ) {
                super.commit();
                return;
            }
            RecordMeta meta;
            long[] patchBytes = {0};
            long storeNanos = 0;
            // The store may admit the next writer as soon as its commit returns; that writer's
            // append must wait until this record is published (or undone).
            commitLock.lock();
            try {
                try {
                    Map<String, String> patchHeaders;
                    if ( replica != null ) {
                        patchHeaders = replica.headers;
                    } else if ( headers.isEmpty() ) {
                        patchHeaders = config.commitAttributes().current();
                    } else {
                        patchHeaders = new java.util.LinkedHashMap<>(config.commitAttributes().current());
                        patchHeaders.putAll(headers);
                    }
                    PayloadWriter writer = (m, out) -> {
                        CountingOutputStream counting = new CountingOutputStream(out);
                        writePatch(m, tc, patchHeaders, counting);
                        patchBytes[0] = counting.count();
                    };
                    meta = replica != null ? log.appendReplica(replica.meta, writer, false) : log.append(writer, false);
                } catch (RuntimeException ex) {
                    // Not logged, so it must not commit.
                    super.abort();
                    throw ex;
                }
                stableVersion.set(-1);
                long s0 = System.nanoTime();
                try {
                    logForce.commit(super::commit);
                } catch (RuntimeException | Error ex) {
                    log.undoAppend(meta.version());
                    throw ex;
                }
                storeNanos = System.nanoTime() - s0;
                log.publish(meta.version());
            } finally {
                stableVersion.set(log.publishedVersion());
                commitLock.unlock();
            }
            log.observer().captured(meta.version(), quadChanges, patchBytes[0], System.nanoTime() - t0 - storeNanos);
            LOG.debug("Dataset '{}': version {} committed (patch {}, {} quad changes, {} bytes{}{})", datasetName(), meta.version(), meta.id(),
                      quadChanges, patchBytes[0], tc.spilled() ? ", spilled to disk" : "", replica != null ? ", from the leader" : "");
        }
    }

    /**
     * Apply a leader's patch as one transaction that keeps the leader's identity: the record
     * appended to this dataset's log has the leader's version, id, previous id and time, so this
     * log stays a copy of the leader's, and its feed, sinks and live queries see the same versions.
     *
     * @param leader  the patch's identity in the leader's log
     * @param headers further headers to keep (the writer's user and request id)
     * @param changes applies the patch's changes to the dataset it is given (adds, deletes and
     *                prefix changes, no transactions) and returns how many quad adds and deletes the
     *                patch holds
     * @throws org.fusekicdc.core.log.ChangeLogException if the patch does not continue this log (a gap or a fork)
     * @throws ReplicaDivergedException if some of the patch's changes were no-ops here: this
     *         dataset did not hold the leader's state before the patch
     */
    public RecordMeta applyFromLeader(RecordMeta leader, Map<String, String> headers, java.util.function.ToLongFunction<DatasetGraph> changes) {
        begin(TxnType.WRITE);
        try {
            Replicated replica = new Replicated(leader, headers);
            replicating = replica;
            try {
                replica.quadChanges = changes.applyAsLong(this);
            } catch (RuntimeException ex) {
                // end() without commit or abort throws, hiding why the patch could not be applied.
                abort();
                throw ex;
            }
            commit();
            return leader;
        } finally {
            replicating = null;
            end();
        }
    }

    /**
     * Replace the whole content of the store with what {@code load} writes, in one store
     * transaction, and then rebase the change log on {@code version} (see
     * {@link ChangeLog#rebase}). Readers that ask for a known version wait meanwhile, so none
     * sees the new data labelled with the old version or the reverse. For loading snapshots into
     * followers; the caller has announced the load with {@link ChangeLog#markRebase}.
     */
    public void replaceAndRebase(java.util.function.Consumer<DatasetGraph> load, long version, java.util.UUID id) {
        commitLock.lock();
        try {
            stableVersion.set(-1);
            DatasetGraph store = get();
            org.apache.jena.system.Txn.executeWrite(store, () -> {
                store.clear();
                store.prefixes().clear();
                load.accept(store);
            });
            log.rebase(version, id);
        } finally {
            stableVersion.set(log.publishedVersion());
            commitLock.unlock();
        }
    }

    /**
     * Make this dataset a follower: from now on it takes changes only through
     * {@link #applyFromLeader}; other write transactions that change something fail with
     * {@code refusal} as their message. Null makes it writable again.
     */
    public void setFollowerOf(String refusal) {
        this.followerOf = refusal;
    }

    /** Why local writes are refused (this dataset follows a leader), or null if they are not. */
    public String followerOf() {
        return followerOf;
    }

    private void writePatch(RecordMeta meta, TransactionChanges tc, Map<String, String> attributes, OutputStream out) throws IOException {
        RDFChangesWriterText w = RDFChangesWriterText.create(out);
        w.header(PatchHeaders.ID, Id.fromUUID(meta.id()).asNode());
        if ( meta.prevId() != null )
            w.header(PatchHeaders.PREV, Id.fromUUID(meta.prevId()).asNode());
        w.header(PatchHeaders.VERSION, NodeFactory.createLiteralDT(Long.toString(meta.version()), XSDDatatype.XSDinteger));
        if ( log.epoch() > 0 )
            w.header(PatchHeaders.EPOCH, NodeFactory.createLiteralDT(Long.toString(log.epoch()), XSDDatatype.XSDinteger));
        w.header(PatchHeaders.TIMESTAMP, NodeFactory.createLiteralDT(Instant.ofEpochMilli(meta.timestamp()).toString(),
                                                                    XSDDatatype.XSDdateTime));
        w.header(PatchHeaders.DATASET, NodeFactory.createLiteralString(datasetName()));
        attributes.forEach((k, v) -> w.header(k, NodeFactory.createLiteralString(v)));
        w.txnBegin();
        tc.writeTo(w, out);
        w.txnCommit();
        w.finish();
    }

    /**
     * Begin a read transaction on this thread and return the version it shows: exactly that
     * version's committed state, never a mix. Retries while a store commit is under way; never
     * blocks writers. The caller ends the transaction.
     */
    public long beginReadAtKnownVersion() {
        while ( true ) {
            long before = stableVersion.get();
            if ( before < 0 ) {
                LockSupport.parkNanos(50_000);
                continue;
            }
            begin(TxnType.READ);
            // No store commit started between the two reads, so the snapshot holds exactly 'before'.
            if ( stableVersion.get() == before )
                return before;
            end();
        }
    }

    @Override
    public void abort() {
        discardChanges();
        super.abort();
    }

    @Override
    public void end() {
        // A write transaction ended without commit is aborted by the store; drop its changes.
        discardChanges();
        super.end();
    }

    private void discardChanges() {
        if ( inWriteWithChanges() ) {
            changes.close();
            changes = null;
        }
    }

    @Override
    public void close() {
        try {
            logForce.close();
            super.close();
        } finally {
            log.close();
        }
    }
}
