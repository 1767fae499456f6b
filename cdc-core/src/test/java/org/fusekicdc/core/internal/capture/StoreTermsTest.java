package org.fusekicdc.core.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.changes.PatchSummary;
import org.apache.jena.rdfpatch.changes.RDFChangesApply;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.update.UpdateAction;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LiteralSpellings;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Patches name the terms the store holds: TDB2 keeps numbers, dates and booleans by value and
 * reads them back in canonical form, so an add and a later delete of such a literal must be
 * recorded in that form, or a replay onto a store that keeps terms as written diverges.
 */
class StoreTermsTest {
    @TempDir
    Path tmp;

    private ChangeLog log;
    private CapturingDatasetGraph dsg;

    @AfterEach
    void close() {
        if ( log != null )
            log.close();
    }

    /** TDB2 in memory: the same node table, inlining and indexes as on disk, without a disk sync per transaction. */
    private static DatasetGraph tdb2() {
        return TDB2Factory.createDataset().asDatasetGraph();
    }

    private void capture(String kind, int spillThreshold) {
        DatasetGraph store = kind.equals("TDB2") ? tdb2() : DatasetGraphFactory.createTxnMem();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withFsync(false));
        dsg = CapturingDatasetGraph.create(store, log, CaptureConfig.defaults(tmp.resolve("spill")).withSpillThreshold(spillThreshold));
    }

    private RDFPatch lastPatch() {
        return LogReplay.patch(log.read(log.publishedVersion()));
    }

    private static Node lit(String sse) {
        return SSE.parseNode(sse);
    }

    private static Quad quad(String o) {
        return Quad.create(Quad.defaultGraphIRI, SSE.parseNode("<http://example/s>"), SSE.parseNode("<http://example/p>"), lit(o));
    }

    /** The patch's only change, as "A" or "D" and the object. */
    private static String onlyChange(RDFPatch p) {
        List<String> changes = new ArrayList<>();
        p.apply(new RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node pr, Node o) {
                changes.add("A " + NodeFmtLib.strNT(o));
            }

            @Override
            public void delete(Node g, Node s, Node pr, Node o) {
                changes.add("D " + NodeFmtLib.strNT(o));
            }
        });
        assertEquals(1, changes.size(), () -> "one change expected in\n" + RDFPatchOps.str(p));
        return changes.get(0);
    }

    @ParameterizedTest(name = "{0}: {1} is recorded as {2}")
    @MethodSource
    void anAddIsRecordedInTheFormTheStoreHolds(String kind, String written, String recorded) {
        capture(kind, 50_000);
        Txn.executeWrite(dsg, () -> dsg.add(quad(written)));
        assertEquals("A " + NodeFmtLib.strNT(lit(recorded)), onlyChange(lastPatch()));
        Txn.executeRead(dsg, () -> assertEquals(lit(recorded), dsg.find().next().getObject(), "the store reads back the term the patch names"));
    }

    static Stream<Arguments> anAddIsRecordedInTheFormTheStoreHolds() {
        return Stream.of(
            Arguments.of("TDB2", "'01.50'^^xsd:decimal", "'1.5'^^xsd:decimal"),
            Arguments.of("TDB2", "'007'^^xsd:byte", "'7'^^xsd:byte"),
            Arguments.of("TDB2", "'-0'^^xsd:integer", "'0'^^xsd:integer"),
            // Integers already canonical are kept as they came (no node built).
            Arguments.of("TDB2", "'-42'^^xsd:long", "'-42'^^xsd:long"),
            Arguments.of("TDB2", "'36028797018963967'^^xsd:integer", "'36028797018963967'^^xsd:integer"),
            Arguments.of("TDB2", "'4294967295'^^xsd:unsignedInt", "'4294967295'^^xsd:unsignedInt"),
            Arguments.of("TDB2", "'1e0'^^xsd:double", "'1.0e0'^^xsd:double"),
            Arguments.of("TDB2", "'1'^^xsd:boolean", "'true'^^xsd:boolean"),
            Arguments.of("TDB2", "'2026-01-02T03:04:05.100-00:00'^^xsd:dateTime", "'2026-01-02T03:04:05.1+00:00'^^xsd:dateTime"),
            // Out of TDB2's inline range, or finer than it keeps: stored, and recorded, as written.
            Arguments.of("TDB2", "'099999999999999999999'^^xsd:integer", "'099999999999999999999'^^xsd:integer"),
            Arguments.of("TDB2", "'2026-01-02T03:04:05.123456Z'^^xsd:dateTime", "'2026-01-02T03:04:05.123456Z'^^xsd:dateTime"),
            Arguments.of("TDB2", "'0300'^^xsd:byte", "'0300'^^xsd:byte"),
            // Jena gives every language tag one case when it makes the term, whatever the store.
            Arguments.of("TDB2", "'x'@EN-gb", "'x'@en-GB"),
            Arguments.of("TIM", "'x'@EN-gb", "'x'@en-GB"),
            // A store that keeps terms as written records them as written.
            Arguments.of("TIM", "'01.50'^^xsd:decimal", "'01.50'^^xsd:decimal"));
    }

    @Test
    void onTdb2AnotherSpellingOfAStoredValueIsANoOpToAddAndDeletesTheStoredTerm() {
        capture("TDB2", 50_000);
        Txn.executeWrite(dsg, () -> dsg.add(quad("'01.50'^^xsd:decimal")));
        Txn.executeWrite(dsg, () -> dsg.add(quad("'1.500'^^xsd:decimal")));
        assertEquals(1, log.publishedVersion(), "adding another spelling of a stored value changes nothing on TDB2");
        Txn.executeWrite(dsg, () -> dsg.delete(quad("'+1.5'^^xsd:decimal")));
        assertEquals("D " + NodeFmtLib.strNT(lit("'1.5'^^xsd:decimal")), onlyChange(lastPatch()));
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void onTdb2AnAddAndADeleteOfTwoSpellingsInOneTransactionCancel() {
        capture("TDB2", 50_000);
        Txn.executeWrite(dsg, () -> dsg.add(quad("<http://example/o>")));
        Txn.executeWrite(dsg, () -> {
            dsg.add(quad("'01.50'^^xsd:decimal"));
            dsg.delete(quad("'1.5'^^xsd:decimal"));
        });
        assertEquals(1, log.publishedVersion(), "no net change, no patch");
    }

    @Test
    void anInMemoryFollowerOfATdb2LeaderAppliesEveryPatchAndHoldsTheLeadersQuads() {
        capture("TDB2", 50_000);
        LiteralSpellings.updates().forEach(u -> Txn.executeWrite(dsg, () -> UpdateAction.parseExecute(u, dsg)));
        try (ChangeLog followerLog = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("follower"), "ds").withFsync(false))) {
            CapturingDatasetGraph follower = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), followerLog,
                                                                          CaptureConfig.defaults(tmp.resolve("follower-spill")));
            for ( LogRecord r : log.readAfter(0, Integer.MAX_VALUE) ) {
                RDFPatch p = LogReplay.patch(r);
                PatchSummary summary = RDFPatchOps.summary(p);
                // Refused as diverged if any change is a no-op on the follower.
                LogReplay.commitAs(follower, r.meta(), Map.of(), summary.getCountAddData() + summary.getCountDeleteData(), target -> {
                    p.apply(new RDFChangesApply(target) {
                        // commitAs owns the transaction.
                        @Override public void txnBegin() {}
                        @Override public void txnCommit() {}
                        @Override public void txnAbort() {}
                    });
                });
            }
            LogReplay.assertSameDataset(dsg, follower, "the in-memory follower");
        }
    }

    static Stream<Arguments> storesAndSpills() {
        return Stream.of(Arguments.of("TDB2", 50_000), Arguments.of("TDB2", 1), Arguments.of("TIM", 50_000), Arguments.of("TIM", 1));
    }

    /**
     * The differential test: every spelling, every way of adding and deleting it, then the log
     * replayed onto an empty in-memory dataset and (for a TDB2 store) an empty TDB2 dataset
     * gives the store's quads exactly. A spill threshold of 1 sends every transaction of two
     * changes or more through the spill files, whose merge pairs an add with its delete by text.
     * A TIM store can hold two spellings of one value, which no TDB2 dataset can, so its log is
     * replayed onto TIM only.
     */
    @ParameterizedTest(name = "{0}, spill threshold {1}")
    @MethodSource("storesAndSpills")
    void replayingTheLogOntoAnyStoreReproducesTheDataset(String kind, int spillThreshold) {
        capture(kind, spillThreshold);
        LiteralSpellings.updates().forEach(u -> Txn.executeWrite(dsg, () -> UpdateAction.parseExecute(u, dsg)));
        // The Graph Store Protocol's PUT: replace a graph's content, then replace it with the other spellings.
        Node gput = SSE.parseNode("<http://example/gput>");
        for ( boolean other : new boolean[] {false, true} ) {
            var graph = GraphFactory.createDefaultGraph();
            RDFParser.fromString(LiteralSpellings.turtle(other), Lang.TURTLE).parse(graph);
            Txn.executeWrite(dsg, () -> dsg.addGraph(gput, graph));
        }
        LogReplay.assertLogReproduces(log, dsg, DatasetGraphFactory.createTxnMem());
        if ( kind.equals("TDB2") )
            LogReplay.assertLogReproduces(log, dsg, tdb2());
    }
}
