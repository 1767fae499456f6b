package org.fusekicdc.core.internal.capture;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.shared.JenaException;
import org.apache.jena.sparql.JenaTransactionException;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.core.GraphView;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.PayloadWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.fusekicdc.core.wire.PatchHeaders;

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
 * At commit the patch goes through the {@link CommitProtocol}: appended to the log (durable)
 * before the store commits, published to readers after; see there for failures and recovery.
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
    private final CommitProtocol protocol;
    // The open write transaction's changes; only touched by the thread in WRITE mode.
    private TransactionChanges changes;
    // Non-null while this dataset follows a leader: why local writes are refused.
    private volatile String followerOf;
    // True while the write transaction applies a group of another log's records (beginGroup); only
    // the thread in WRITE mode may act on it (see inGroup): transactions are per thread.
    private boolean groupOpen;

    private CapturingDatasetGraph(DatasetGraph base, CommitProtocol protocol, ChangeLog log, CaptureConfig config) {
        super(base);
        this.log = log;
        this.config = config;
        this.storeWrites = new StoreWrites(base);
        this.protocol = protocol;
    }

    /**
     * Wrap {@code base} so that its transactions are captured into {@code log}. First settles
     * the log against the data after an unclean stop (see {@link CommitRecovery}).
     */
    public static CapturingDatasetGraph create(DatasetGraph base, ChangeLog log, CaptureConfig config) {
        requireTransactional(base, log);
        return create(base, LogWriter.claim(log), config);
    }

    /**
     * As {@link #create(DatasetGraph, ChangeLog, CaptureConfig)}, for a log whose writer the
     * caller claimed already (to record its history, see {@link StoreHistory}).
     */
    public static CapturingDatasetGraph create(DatasetGraph base, LogWriter writer, CaptureConfig config) {
        ChangeLog log = writer.log();
        requireTransactional(base, log);
        CommitProtocol protocol = CommitProtocol.open(base, writer);
        QuadSpill.removeLeftovers(config.spillDirectory(), log.dataset());
        return new CapturingDatasetGraph(base, protocol, log, config);
    }

    private static void requireTransactional(DatasetGraph base, ChangeLog log) {
        if ( !base.supportsTransactions() || !base.supportsTransactionAbort() )
            throw new CdcConfigException("Dataset '" + log.dataset() + "': the dataset to capture (" + base.getClass().getSimpleName()
                                         + ") does not support transactions with abort; use a TDB2 or in-memory transactional dataset (ja:MemoryDataset).");
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
        return new RecordingPrefixMap(get().prefixes(), this::writing);
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
        if ( inGroup() ) {
            commitGroup();
            return;
        }
        commit(null, headers, -1);
    }

    /**
     * Commit the write transaction on this thread as a copy of another log's record (a leader's
     * patch that a follower applied): the record appended to this dataset's log keeps
     * {@code identity} (version, id, previous id and time), so this log stays a copy of the
     * other, and its headers are {@code headers} only. A follower's refusal of local writes does
     * not apply; a transaction that changed nothing is still logged.
     *
     * @param quadChanges how many quad adds and deletes the patch holds
     * @throws org.fusekicdc.core.internal.log.ChangeLogException if the record does not continue this log (a gap or a fork)
     * @throws ReplicaDivergedException if some of the patch's changes were no-ops here: this
     *         dataset did not hold the other's state before the patch
     */
    public void commitAs(RecordMeta identity, Map<String, String> headers, long quadChanges) {
        commit(Objects.requireNonNull(identity), headers, quadChanges);
    }

    /**
     * Begin applying a group of another log's records (a follower catching up on its leader's
     * versions) in the open write transaction: the changes made until each {@link #appendAs}
     * are that record's, and {@link #commit()} commits the store once for all of them. The
     * group's records, from {@code first} up to at most version {@code lastVersion}, are
     * announced durably first, so that start-up recovery after a crash decides them together:
     * all committed or none.
     *
     * @throws IllegalStateException if this thread is not in a write transaction, or it has changes not yet logged
     */
    public void beginGroup(RecordMeta first, long lastVersion) {
        if ( !isInTransaction() || super.transactionMode() != ReadWrite.WRITE || groupOpen )
            throw new IllegalStateException("Dataset '" + datasetName() + "': a group begins at the start of a write transaction");
        if ( changes != null && changes.settle() != 0 )
            throw new IllegalStateException("Dataset '" + datasetName() + "': the write transaction has changes not logged; begin the group first");
        protocol.beginGroup(first, lastVersion);
        groupOpen = true;
    }

    /**
     * In a group ({@link #beginGroup}): log the changes made since the group began, or since the
     * previous call, as the record {@code identity} with {@code headers}, pending until the
     * transaction commits. As {@link #commitAs}, a record that changed nothing is logged too.
     *
     * @param quadChanges how many quad adds and deletes the record's patch holds
     * @throws org.fusekicdc.core.internal.log.ChangeLogException if the record does not continue this log (a gap or a fork)
     * @throws ReplicaDivergedException if some of the patch's changes were no-ops here; the
     *         caller aborts the transaction, which removes the group's records
     */
    public void appendAs(RecordMeta identity, Map<String, String> headers, long quadChanges) {
        if ( !inGroup() )
            throw new IllegalStateException("Dataset '" + datasetName() + "': appendAs outside a group; call beginGroup first");
        TransactionChanges tc = changes != null ? changes : new TransactionChanges(config.spillThreshold(), config.spillDirectory());
        changes = null;
        long t0 = System.nanoTime();
        try (tc) {
            long applied = tc.settle();
            if ( applied != quadChanges )
                throw new ReplicaDivergedException(datasetName(), identity, quadChanges, applied);
            long[] patchBytes = {0};
            PayloadWriter patch = (m, out) -> {
                CountingOutputStream counting = new CountingOutputStream(out);
                CapturedPatch.write(m, log.epoch(), datasetName(), tc, headers, counting);
                patchBytes[0] = counting.count();
            };
            RecordMeta meta = protocol.appendInGroup(identity, patch);
            log.observer().captured(meta.version(), applied, patchBytes[0], System.nanoTime() - t0);
        }
    }

    private void commitGroup() {
        groupOpen = false;
        if ( changes != null && changes.settle() != 0 ) {
            protocol.abandonGroup();
            super.abort();
            throw new IllegalStateException("Dataset '" + datasetName() + "': the group's last changes were not logged (appendAs); aborted");
        }
        long published = protocol.commitGroup(super::commit, super::abort);
        CommitWatch.committed(published);
        LOG.debug("Dataset '{}': versions up to {} committed in one transaction, from the leader", datasetName(), published);
    }

    private void commit(RecordMeta replicaOf, Map<String, String> headers, long replicaQuadChanges) {
        if ( replicaOf != null && changes == null && super.transactionMode() == ReadWrite.WRITE )
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
            if ( replicaOf == null && followerOf != null && !tc.isEmpty() ) {
                super.abort();
                throw new JenaTransactionException(followerOf);
            }
            if ( replicaOf != null && quadChanges != replicaQuadChanges ) {
                super.abort();
                throw new ReplicaDivergedException(datasetName(), replicaOf, replicaQuadChanges, quadChanges);
            }
            if ( tc.isEmpty() && replicaOf == null ) {
                super.commit();
                return;
            }
            Map<String, String> patchHeaders;
            try {
                patchHeaders = patchHeaders(replicaOf, headers);
            } catch (RuntimeException ex) {
                super.abort();
                throw ex;
            }
            long[] patchBytes = {0};
            PayloadWriter patch = (m, out) -> {
                CountingOutputStream counting = new CountingOutputStream(out);
                CapturedPatch.write(m, log.epoch(), datasetName(), tc, patchHeaders, counting);
                patchBytes[0] = counting.count();
            };
            CommitProtocol.Committed done = protocol.commit(replicaOf, patch, super::commit, super::abort);
            RecordMeta meta = done.meta();
            log.observer().captured(meta.version(), quadChanges, patchBytes[0], System.nanoTime() - t0 - done.storeNanos());
            log.observer().committed(meta.version(), done.appendNanos(), done.storeNanos());
            LOG.debug("Dataset '{}': version {} committed (patch {}, {} quad changes, {} bytes{}{})", datasetName(), meta.version(), meta.id(),
                      quadChanges, patchBytes[0], tc.spilled() ? ", spilled to disk" : "", replicaOf != null ? ", from the leader" : "");
            // Last: a watcher may wait (for a sink's destination) or throw, and the commit is done.
            CommitWatch.committed(meta.version());
        }
    }

    private Map<String, String> patchHeaders(RecordMeta replicaOf, Map<String, String> headers) {
        if ( replicaOf != null )
            return headers;
        if ( headers.isEmpty() )
            return config.commitAttributes().current();
        Map<String, String> all = new java.util.LinkedHashMap<>(config.commitAttributes().current());
        all.putAll(headers);
        return all;
    }

    /**
     * Announce, durably, that the store is about to be replaced by a snapshot (see
     * {@link LogWriter#markRebase}); {@link #replaceAndRebase} completes it.
     */
    public void markRebase(long version, UUID id, Path snapshotFile) {
        protocol.markRebase(version, id, snapshotFile);
    }

    /**
     * Replace the whole content of the store with what {@code load} writes, in one store
     * transaction, and then rebase the change log on {@code version} (see
     * {@link LogWriter#rebase}). Readers that ask for a known version wait meanwhile, so none
     * sees the new data labelled with the old version or the reverse. For loading snapshots into
     * followers; the caller has announced the load with {@link #markRebase}.
     */
    public void replaceAndRebase(Consumer<DatasetGraph> load, long version, UUID id) {
        protocol.replaceAndRebase(get(), load, version, id);
    }

    /**
     * Make this dataset a follower: from now on it takes changes only through
     * {@link #commitAs}; other write transactions that change something fail with
     * {@code refusal} as their message. Null makes it writable again.
     */
    public void setFollowerOf(String refusal) {
        this.followerOf = refusal;
    }

    /** Why local writes are refused (this dataset follows a leader), or null if they are not. */
    public String followerOf() {
        return followerOf;
    }

    /**
     * Begin a read transaction on this thread and return the version it shows: exactly that
     * version's committed state, never a mix. During a store commit it shows the version before
     * the commit if the store says its transaction sees that state (TDB2), and otherwise waits
     * for the commit's publish (see {@link KnownVersionReads}); never blocks writers. The caller
     * ends the transaction.
     */
    public long beginReadAtKnownVersion() {
        return protocol.beginReadAtKnownVersion(this);
    }

    @Override
    public void abort() {
        discardChanges();
        abandonGroup();
        super.abort();
    }

    @Override
    public void end() {
        // A write transaction ended without commit is aborted by the store; drop its changes.
        discardChanges();
        abandonGroup();
        super.end();
    }

    /** True on the thread whose write transaction applies a group. */
    private boolean inGroup() {
        return groupOpen && isInTransaction() && super.transactionMode() == ReadWrite.WRITE;
    }

    /** Remove the records of a group whose transaction ends without commit (before the store admits another writer). */
    private void abandonGroup() {
        if ( inGroup() ) {
            groupOpen = false;
            protocol.abandonGroup();
        }
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
            super.close();
        } finally {
            log.close();
        }
    }
}
