package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Node;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.changes.RDFChangesApply;
import org.apache.jena.rdfpatch.changes.RDFChangesCounter;
import org.apache.jena.rdfpatch.system.Id;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.IsoMatcher;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.RecordMeta;

/**
 * Test support: replays a change log with Jena's own patch code and checks what a user of the
 * log relies on: versions without gaps, an intact id/prev chain, and only real changes (every
 * added quad absent before, every deleted quad present before).
 */
public final class LogReplay {
    private LogReplay() {}

    /**
     * Commit {@code changes} on {@code follower} in one write transaction as a copy of the record
     * {@code identity} of another log, as a follower applies its leader's patch.
     */
    public static void commitAs(CapturingDatasetGraph follower, RecordMeta identity, Map<String, String> headers, long quadChanges,
                                Consumer<DatasetGraph> changes) {
        follower.begin(TxnType.WRITE);
        try {
            changes.accept(follower);
            follower.commitAs(identity, headers, quadChanges);
        } finally {
            follower.end();
        }
    }

    /**
     * Make {@code follower} a copy of every published version of {@code leaderLog} after its own
     * head, each in its own transaction with the leader's identity, as a follower applies them.
     */
    public static void follow(ChangeLog leaderLog, CapturingDatasetGraph follower) {
        for ( LogRecord r : leaderLog.readAfter(follower.changeLog().headVersion(), Integer.MAX_VALUE) ) {
            RDFPatch p = patch(r);
            RDFChangesCounter counter = new RDFChangesCounter();
            p.apply(counter);
            long quadChanges = counter.summary().getCountAddData() + counter.summary().getCountDeleteData();
            commitAs(follower, r.meta(), Map.of(), quadChanges, target -> p.apply(new RDFChangesApply(target) {
                // commitAs owns the transaction.
                @Override public void txnBegin() {}
                @Override public void txnCommit() {}
                @Override public void txnAbort() {}
            }));
        }
    }

    /** Parse one record with Jena's patch reader. */
    public static RDFPatch patch(LogRecord record) {
        try (InputStream in = record.openPayload()) {
            return RDFPatchOps.read(in);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** All published patches after {@code afterVersion}, parsed. */
    public static List<RDFPatch> patchesAfter(ChangeLog log, long afterVersion) {
        List<RDFPatch> out = new ArrayList<>();
        for ( LogRecord r : log.readAfter(afterVersion, Integer.MAX_VALUE) )
            out.add(patch(r));
        return out;
    }

    /**
     * Apply every published record after {@code afterVersion} to {@code target}, one transaction
     * each, checking headers, chain and that each change is real against {@code target}.
     */
    public static void replayInto(ChangeLog log, long afterVersion, DatasetGraph target) {
        UUID expectedPrev = afterVersion == 0 ? null : log.read(afterVersion).meta().id();
        for ( LogRecord r : log.readAfter(afterVersion, Integer.MAX_VALUE) ) {
            RDFPatch p = patch(r);
            assertEquals(Id.fromUUID(r.meta().id()).asNode(), p.getHeader(PatchHeaders.ID), "patch id header of version " + r.version());
            Node prev = p.getHeader(PatchHeaders.PREV);
            if ( expectedPrev == null )
                assertEquals(null, prev, "version " + r.version() + " must not have a prev header");
            else
                assertEquals(Id.fromUUID(expectedPrev).asNode(), prev, "prev header of version " + r.version());
            assertEquals(String.valueOf(r.version()), p.getHeader(PatchHeaders.VERSION).getLiteralLexicalForm(), "version header");
            assertEquals(log.dataset(), p.getHeader(PatchHeaders.DATASET).getLiteralLexicalForm(), "dataset header");
            expectedPrev = r.meta().id();
            applyChecked(target, r);
        }
    }

    /** Apply one record in one transaction, failing if any change is not real. */
    public static void applyChecked(DatasetGraph target, LogRecord r) {
        Txn.executeWrite(target, () -> {
            try (InputStream in = r.openPayload()) {
                new RDFPatchReaderText(in).apply(new CheckedApply(target, r.version()));
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        });
    }

    /** Apply one patch (read from a feed, say) in one transaction, failing if any change is not real. */
    public static void applyChecked(DatasetGraph target, RDFPatch patch) {
        Node version = patch.getHeader(PatchHeaders.VERSION);
        Txn.executeWrite(target, () -> patch.apply(new CheckedApply(target, version == null ? -1 : Long.parseLong(version.getLiteralLexicalForm()))));
    }

    /** Replay of the whole log from version 1 onto an in-memory dataset equals the dataset (quads and prefixes). */
    public static void assertLogReproduces(ChangeLog log, DatasetGraph dataset) {
        assertLogReproduces(log, dataset, DatasetGraphFactory.createTxnMem());
    }

    /** Replay of the whole log from version 1 onto {@code emptyTarget} (any store) equals the dataset. */
    public static void assertLogReproduces(ChangeLog log, DatasetGraph dataset, DatasetGraph emptyTarget) {
        replayInto(log, 0, emptyTarget);
        assertSameDataset(dataset, emptyTarget, "replay of the change log of '" + log.dataset() + "'");
    }

    /** The same quads, term for term (up to blank node labels), as many of them, and the same prefixes. */
    public static void assertSameDataset(DatasetGraph expected, DatasetGraph actual, String what) {
        DatasetGraph e = copy(expected);
        DatasetGraph a = copy(actual);
        assertEquals(Txn.calculateRead(e, () -> Iter.count(e.find())), Txn.calculateRead(a, () -> Iter.count(a.find())),
                     () -> what + ": number of quads.\nExpected:\n" + dump(e) + "\nActual:\n" + dump(a));
        if ( !IsoMatcher.isomorphic(e, a) )
            fail(what + ": datasets differ.\nExpected:\n" + dump(e) + "\nActual:\n" + dump(a));
        assertEquals(e.prefixes().getMapping(), a.prefixes().getMapping(), what + ": prefixes differ");
    }

    private static DatasetGraph copy(DatasetGraph dsg) {
        DatasetGraph out = DatasetGraphFactory.createTxnMem();
        Txn.executeRead(dsg, () -> Txn.executeWrite(out, () -> {
            dsg.find().forEachRemaining(out::add);
            Map<String, String> pm = new HashMap<>(dsg.prefixes().getMapping());
            out.prefixes().putAll(pm);
        }));
        return out;
    }

    private static String dump(DatasetGraph dsg) {
        StringBuilder sb = new StringBuilder();
        Txn.executeRead(dsg, () -> dsg.find().forEachRemaining(q -> sb.append("  ").append(q).append('\n')));
        return sb.toString();
    }

    private static final class CheckedApply extends RDFChangesApply {
        private final DatasetGraph dsg;
        private final long version;

        CheckedApply(DatasetGraph dsg, long version) {
            super(dsg);
            this.dsg = dsg;
            this.version = version;
        }

        private static Node g(Node g) {
            return g == null ? Quad.defaultGraphIRI : g;
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            assertTrue(!dsg.contains(g(g), s, p, o), () -> "version " + version + " adds a quad already present: " + Quad.create(g(g), s, p, o));
            super.add(g, s, p, o);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            assertTrue(dsg.contains(g(g), s, p, o), () -> "version " + version + " deletes an absent quad: " + Quad.create(g(g), s, p, o));
            super.delete(g, s, p, o);
        }

        // The caller owns the transaction.
        @Override public void txnBegin() {}
        @Override public void txnCommit() {}
        @Override public void txnAbort() {}
    }
}
