package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.wire.PatchHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Undo one version: apply the inverse of its patch (its added quads deleted, its deleted quads
 * added back) as a new captured transaction, provided no later version touched any of the same
 * quads. A patch holds real changes only, so when no later version touched them the inverse
 * restores exactly the quads' state before the version.
 * <p>
 * Later versions that may touch a quad are found through the {@link HistoryIndex} (same subject,
 * predicate and graph), then confirmed by reading their patches. The check and the new
 * transaction run inside one write transaction, so no other write can slip between them.
 * Prefix changes are not reverted. A version of more than {@value #MAX_QUADS} quad changes is
 * refused, so that a revert's memory stays bounded.
 */
public final class Revert {
    private static final Logger LOG = LoggerFactory.getLogger(Revert.class);
    public static final int MAX_QUADS = 100_000;
    private static final int PAGE = 1000;
    private static final Duration INDEX_WAIT = Duration.ofSeconds(60);

    private Revert() {}

    /** A later version that touched some of the quads the reverted version changed. */
    public record Conflict(long version, List<Quad> quads) {}

    /**
     * What reverting {@code version} means: the quads to add back and to delete, and the later
     * versions in the way (none for a clean revert).
     */
    public record Plan(long version, UUID id, List<Quad> add, List<Quad> delete, List<Conflict> conflicts) {
        public boolean clean() {
            return conflicts.isEmpty();
        }

        /** The headers a revert's patch carries besides the usual ones. */
        public Map<String, String> headers(String requestedBy) {
            Map<String, String> h = new LinkedHashMap<>();
            h.put(PatchHeaders.REVERTS, Long.toString(version));
            h.put(PatchHeaders.REVERTS_ID, "uuid:" + id);
            if ( requestedBy != null )
                h.put(PatchHeaders.REVERTED_BY, requestedBy);
            return h;
        }

        /** The inverse patch as RDF Patch text, with {@code headers}: what a revert would apply. */
        public void writePatch(Map<String, String> headers, OutputStream out) {
            RDFChangesWriterText w = RDFChangesWriterText.create(out);
            headers.forEach((k, v) -> w.header(k, NodeFactory.createLiteralString(v)));
            w.txnBegin();
            for ( Quad q : delete )
                w.delete(patchGraph(q), q.getSubject(), q.getPredicate(), q.getObject());
            for ( Quad q : add )
                w.add(patchGraph(q), q.getSubject(), q.getPredicate(), q.getObject());
            w.txnCommit();
            w.finish();
        }

        private static Node patchGraph(Quad q) {
            return q.isDefaultGraph() ? null : q.getGraph();
        }
    }

    /** The outcome of {@link #apply}: the plan, and the new version (-1 when nothing was applied: a dry run or a conflict). */
    public record Result(Plan plan, long newVersion) {}

    /** Why a revert cannot even be planned. */
    public enum Reason { NOT_IN_LOG, GONE, TOO_LARGE, NOTHING_TO_REVERT, INDEX_BEHIND, FOLLOWER, STATE_DIFFERS }

    public static final class RevertRefused extends RuntimeException {
        private final Reason reason;

        RevertRefused(Reason reason, String message) {
            super(message);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    /**
     * Plan the revert of {@code version} against every version published so far.
     *
     * @throws RevertRefused when the version is not in the log, is too large, or changed no quad
     */
    public static Plan plan(ChangeLog log, HistoryIndex index, long version) {
        String dataset = log.dataset();
        long head = log.publishedVersion();
        if ( version < 1 || version > head )
            throw new RevertRefused(Reason.NOT_IN_LOG, "Dataset '" + dataset + "' has no version " + version + " (its versions are "
                                                       + log.firstVersion() + ".." + head + ")");
        LogRecord record;
        try {
            record = log.read(version);
        } catch (VersionGoneException ex) {
            throw new RevertRefused(Reason.GONE, ex.getMessage() + ". A version retention has removed cannot be reverted.");
        }
        awaitIndex(index, head, dataset);
        List<Quad> added = new ArrayList<>();
        List<Quad> deleted = new ArrayList<>();
        readQuads(record, (q, isAdd) -> {
            if ( added.size() + deleted.size() >= MAX_QUADS )
                throw new RevertRefused(Reason.TOO_LARGE, "Dataset '" + dataset + "': version " + version + " changes more than " + MAX_QUADS
                                                          + " quads; revert it with a SPARQL Update or a patch built from the change feed instead");
            (isAdd ? added : deleted).add(q);
        });
        if ( added.isEmpty() && deleted.isEmpty() )
            throw new RevertRefused(Reason.NOTHING_TO_REVERT, "Dataset '" + dataset + "': version " + version
                                                              + " changed no quads (only prefixes, or nothing); there is nothing to revert");
        Set<Quad> touched = new LinkedHashSet<>(added);
        touched.addAll(deleted);
        // Candidates: later versions with an entry for the same subject, predicate and graph.
        Set<List<Node>> keys = new LinkedHashSet<>();
        for ( Quad q : touched )
            keys.add(List.of(q.getSubject(), q.getPredicate(), q.getGraph()));
        TreeSet<Long> candidates = new TreeSet<>();
        for ( List<Node> k : keys ) {
            long before = Long.MAX_VALUE;
            while ( true ) {
                HistoryIndex.Page page = index.lookup(k.get(0), k.get(1), k.get(2), version, before, PAGE);
                page.changes().forEach(c -> candidates.add(c.version()));
                if ( !page.more() || page.changes().isEmpty() )
                    break;
                before = page.changes().getLast().version();
            }
        }
        // Confirmed: those whose patch adds or deletes one of the very quads.
        Map<Long, List<Quad>> conflicts = new TreeMap<>();
        for ( long v : candidates ) {
            readQuads(log.read(v), (q, isAdd) -> {
                if ( touched.contains(q) )
                    conflicts.computeIfAbsent(v, x -> new ArrayList<>()).add(q);
            });
        }
        List<Conflict> list = new ArrayList<>();
        conflicts.forEach((v, qs) -> list.add(new Conflict(v, qs)));
        // The inverse: what the version added is deleted, what it deleted is added back.
        return new Plan(version, record.meta().id(), deleted, added, list);
    }

    /**
     * Revert {@code version} of {@code dsg}: plan it inside a write transaction and, when it is
     * clean and this is not a dry run, apply the inverse and commit it with the {@link Plan#headers}.
     *
     * @param requestedBy who asked, recorded in the {@code revertedBy} header
     * @throws RevertRefused as {@link #plan}, on a follower, or when the store does not hold what the log says
     */
    public static Result apply(CapturingDatasetGraph dsg, HistoryIndex index, long version, String requestedBy, boolean dryRun) {
        ChangeLog log = dsg.changeLog();
        String dataset = dsg.datasetName();
        if ( dryRun ) {
            Plan plan = plan(log, index, version);
            return new Result(plan, -1);
        }
        if ( dsg.followerOf() != null )
            throw new RevertRefused(Reason.FOLLOWER, dsg.followerOf());
        dsg.begin(TxnType.WRITE);
        try {
            // The write transaction holds the store's only writer: the log cannot move until it ends.
            Plan plan = plan(log, index, version);
            if ( !plan.clean() ) {
                dsg.abort();
                LOG.info("Dataset '{}': revert of version {} refused: later version(s) {} touched the same quads", dataset, version,
                         plan.conflicts().stream().map(Conflict::version).toList());
                return new Result(plan, -1);
            }
            for ( Quad q : plan.delete() ) {
                if ( !dsg.contains(q) )
                    throw stateDiffers(dsg, version, "does not hold " + q + ", which the version added");
            }
            for ( Quad q : plan.add() ) {
                if ( dsg.contains(q) )
                    throw stateDiffers(dsg, version, "holds " + q + ", which the version deleted");
            }
            plan.delete().forEach(dsg::delete);
            plan.add().forEach(dsg::add);
            long newVersion = log.headVersion() + 1;
            dsg.commit(plan.headers(requestedBy));
            LOG.info("Dataset '{}': version {} reverted by version {} ({} quads deleted, {} added back), asked by {}", dataset, version, newVersion,
                     plan.delete().size(), plan.add().size(), requestedBy);
            return new Result(plan, newVersion);
        } catch (RuntimeException ex) {
            // Still open when the failure came before the commit: nothing of the revert may stay.
            if ( dsg.isInTransaction() )
                dsg.abort();
            throw ex;
        } finally {
            dsg.end();
        }
    }

    private static RevertRefused stateDiffers(CapturingDatasetGraph dsg, long version, String what) {
        return new RevertRefused(Reason.STATE_DIFFERS, "Dataset '" + dsg.datasetName() + "': cannot revert version " + version + ": the store " + what
                                                       + ", although no later version touched it. The store and its change log disagree; check the log with the status page.");
    }

    private static void awaitIndex(HistoryIndex index, long head, String dataset) {
        try {
            if ( index.awaitIndexed(head, INDEX_WAIT) )
                return;
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        throw new RevertRefused(Reason.INDEX_BEHIND, "Dataset '" + dataset + "': the history index has reached version " + index.indexedVersion()
                                                     + " of " + head + "; retry once it has caught up");
    }

    private interface QuadVisitor {
        void quad(Quad q, boolean add);
    }

    private static void readQuads(LogRecord record, QuadVisitor visitor) {
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node p, Node o) {
                    visitor.quad(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o), true);
                }

                @Override
                public void delete(Node g, Node s, Node p, Node o) {
                    visitor.quad(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o), false);
                }
            });
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
