package org.fusekicdc.core.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.TxnType;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.changes.PatchSummary;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.Lang;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.apache.jena.update.UpdateAction;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.fusekicdc.core.wire.PatchHeaders;

class CapturingDatasetGraphTest {
    @TempDir
    Path tmp;

    private ChangeLog log;
    private DatasetGraph base;

    @AfterEach
    void close() {
        if ( log != null )
            log.close();
        if ( base != null && TDBInternal.isTDB2(base) )
            TDBInternal.expel(base);
    }

    static Stream<Arguments> stores() {
        Function<Path, DatasetGraph> mem = p -> DatasetGraphFactory.createTxnMem();
        Function<Path, DatasetGraph> tdb2 = p -> TDB2Factory.connectDataset(p.resolve("tdb2").toString()).asDatasetGraph();
        return Stream.of(Arguments.of("TIM", mem), Arguments.of("TDB2", tdb2));
    }

    private CapturingDatasetGraph capture(Function<Path, DatasetGraph> store) {
        return capture(store.apply(tmp), 50_000, CommitAttributes.NONE);
    }

    private CapturingDatasetGraph capture(DatasetGraph store, int spillThreshold, CommitAttributes attrs) {
        base = store;
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        return CapturingDatasetGraph.create(store, log, CaptureConfig.defaults(tmp.resolve("spill"))
                                                                       .withSpillThreshold(spillThreshold)
                                                                       .withCommitAttributes(attrs));
    }

    private long spillFilesLeft() throws IOException {
        if ( !Files.exists(tmp.resolve("spill")) )
            return 0;
        try (Stream<Path> left = Files.list(tmp.resolve("spill"))) {
            return left.count();
        }
    }

    private static Quad q(String sse) {
        return SSE.parseQuad(sse);
    }

    private static PatchSummary summary(RDFPatch p) {
        return RDFPatchOps.summary(p);
    }

    private static String text(RDFPatch p) {
        return RDFPatchOps.str(p);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void eachCommittedTransactionBecomesOnePatchWithChainedHeaders(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        Txn.executeWrite(dsg, () -> {
            dsg.add(q("(:g :s :p 1)"));
            dsg.add(q("(_ :s :p 2)"));
        });
        Txn.executeWrite(dsg, () -> dsg.delete(q("(:g :s :p 1)")));
        assertEquals(2, log.publishedVersion());
        List<RDFPatch> patches = LogReplay.patchesAfter(log, 0);
        assertEquals(2, patches.size());
        assertNull(patches.get(0).getHeader("prev"));
        assertEquals(patches.get(0).getHeader("id"), patches.get(1).getHeader("prev"));
        assertEquals("ds", patches.get(1).getHeader("dataset").getLiteralLexicalForm());
        assertTrue(patches.get(1).getHeader("timestamp").getLiteralDatatypeURI().endsWith("#dateTime"));
        LogReplay.assertLogReproduces(log, dsg);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void addingAPresentQuadOrDeletingAnAbsentOneRecordsNothing(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        Txn.executeWrite(dsg, () -> {
            dsg.add(q("(:g :s :p 1)"));
            dsg.delete(q("(:g :s :p 999)"));
        });
        assertEquals(1, log.publishedVersion(), "a transaction that changes nothing produces no patch");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void anAddThenDeleteOfTheSameQuadLeavesNeither(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 'kept')")));
        Txn.executeWrite(dsg, () -> {
            dsg.add(q("(:g :s :p 'temp')"));
            dsg.delete(q("(:g :s :p 'temp')"));
            dsg.delete(q("(:g :s :p 'kept')"));
            dsg.add(q("(:g :s :p 'kept')"));
            dsg.add(q("(:g :s :p 'new')"));
        });
        assertEquals(2, log.publishedVersion());
        RDFPatch p = LogReplay.patch(log.read(2));
        String t = text(p);
        assertFalse(t.contains("temp"), t);
        assertFalse(t.contains("kept"), t);
        assertTrue(t.contains("\"new\""), t);
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void defaultGraphSpellingsCancelEachOther() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100, CommitAttributes.NONE);
        Node s = NodeFactory.createURI("http://example/s");
        Node p = NodeFactory.createURI("http://example/p");
        Node o = NodeFactory.createURI("http://example/o");
        Txn.executeWrite(dsg, () -> {
            dsg.add(Quad.defaultGraphNodeGenerated, s, p, o);
            dsg.delete(Quad.defaultGraphIRI, s, p, o);
        });
        assertEquals(0, log.publishedVersion());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void abortedOrAbandonedTransactionsProduceNothing(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        dsg.begin(TxnType.WRITE);
        dsg.add(q("(:g :s :p 1)"));
        dsg.abort();
        dsg.end();
        dsg.begin(TxnType.WRITE);
        dsg.add(q("(:g :s :p 2)"));
        // The store aborts a write transaction ended without commit, and says so.
        assertThrows(RuntimeException.class, dsg::end);
        assertEquals(0, log.publishedVersion());
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 3)")));
        assertEquals(1, log.publishedVersion());
        assertEquals(1, summary(LogReplay.patch(log.read(1))).getCountAddData());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void wholeGraphAndDatasetOperationsAreCapturedQuadByQuad(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 30 ; i++ ) {
                dsg.add(q("(:g1 :s :p " + i + ")"));
                dsg.add(q("(:g2 :s :p " + i + ")"));
                dsg.add(q("(_ :s :p " + i + ")"));
            }
        });
        Graph g = GraphFactory.createDefaultGraph();
        g.add(Triple.create(NodeFactory.createURI("http://ex/a"), NodeFactory.createURI("http://ex/b"), NodeFactory.createURI("http://ex/c")));
        Txn.executeWrite(dsg, () -> dsg.removeGraph(NodeFactory.createURI("http://example/g1")));
        Txn.executeWrite(dsg, () -> dsg.addGraph(NodeFactory.createURI("http://example/g3"), g));
        Txn.executeWrite(dsg, () -> dsg.getGraph(NodeFactory.createURI("http://example/g2")).clear());
        Txn.executeWrite(dsg, () -> dsg.getDefaultGraph().delete(Triple.create(NodeFactory.createURI("http://example/s"),
                                                                               NodeFactory.createURI("http://example/p"),
                                                                               NodeFactory.createLiteralDT("1", org.apache.jena.datatypes.xsd.XSDDatatype.XSDinteger))));
        Txn.executeWrite(dsg, () -> UpdateAction.parseExecute("DELETE WHERE { ?s ?p 2 }", dsg));
        Txn.executeWrite(dsg, dsg::clear);
        assertEquals(7, log.publishedVersion());
        Txn.executeRead(dsg, () -> assertTrue(dsg.isEmpty()));
        LogReplay.assertLogReproduces(log, dsg);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void prefixChangesAreCapturedOnlyWhenTheyChangeAMapping(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        Txn.executeWrite(dsg, () -> {
            dsg.prefixes().add("ex", "http://example/");
            dsg.prefixes().add("tmp", "http://tmp/");
            dsg.prefixes().delete("tmp");
        });
        Txn.executeWrite(dsg, () -> dsg.prefixes().add("ex", "http://example/"));
        Txn.executeWrite(dsg, () -> dsg.getDefaultGraph().getPrefixMapping().setNsPrefix("foaf", "http://xmlns.com/foaf/0.1/"));
        Txn.executeWrite(dsg, () -> dsg.prefixes().delete("ex"));
        assertEquals(3, log.publishedVersion());
        String first = text(LogReplay.patch(log.read(1)));
        assertTrue(first.contains("PA \"ex\" \"http://example/\""), first);
        assertFalse(first.contains("tmp"), first);
        assertTrue(text(LogReplay.patch(log.read(3))).contains("PD \"ex\""));
        LogReplay.assertLogReproduces(log, dsg);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aPromotedReadTransactionIsCaptured(String name, Function<Path, DatasetGraph> store) {
        CapturingDatasetGraph dsg = capture(store);
        dsg.begin(TxnType.READ_PROMOTE);
        dsg.add(q("(:g :s :p 1)"));
        dsg.commit();
        dsg.end();
        assertEquals(1, log.publishedVersion());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aLargeTransactionSpillsToDiskAndKeepsTheExactNetEffect(String name, Function<Path, DatasetGraph> store) throws IOException {
        CapturingDatasetGraph dsg = capture(store.apply(tmp), 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 300 ; i++ )
                dsg.add(q("(:g :s :p " + i + ")"));
        });
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 1000 ; i++ )
                dsg.add(q("(:g :s :q " + i + ")"));
            for ( int i = 0 ; i < 1000 ; i += 2 )
                dsg.delete(q("(:g :s :q " + i + ")"));   // cancels half the adds
            for ( int i = 0 ; i < 1000 ; i += 4 )
                dsg.add(q("(:g :s :q " + i + ")"));      // re-adds a quarter
            for ( int i = 0 ; i < 300 ; i += 3 )
                dsg.delete(q("(:g :s :p " + i + ")"));   // real deletes of earlier data
            dsg.prefixes().add("ex", "http://example/");
        });
        assertEquals(2, log.publishedVersion());
        RDFPatch p = LogReplay.patch(log.read(2));
        assertEquals(500 + 250, summary(p).getCountAddData());
        assertEquals(100, summary(p).getCountDeleteData());
        assertEquals(1, summary(p).getCountAddPrefix());
        LogReplay.assertLogReproduces(log, dsg);
        assertEquals(0, spillFilesLeft(), "spill files are removed after commit");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void largeTransactionsThatOnlyAddOrOnlyDeleteAreLoggedExactly(String name, Function<Path, DatasetGraph> store) throws IOException {
        CapturingDatasetGraph dsg = capture(store.apply(tmp), 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 1000 ; i++ ) {
                dsg.add(q("(:g :s :p " + i + ")"));
                dsg.add(q("(:g :s :p " + i + ")"));      // no-op: already there
            }
            dsg.add(q("(_ :s :p \"line1\\nline2\")"));
        });
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 1000 ; i += 2 ) {
                dsg.delete(q("(:g :s :p " + i + ")"));
                dsg.delete(q("(:g :s :p " + i + ")"));   // no-op: already gone
            }
        });
        assertEquals(2, log.publishedVersion());
        assertEquals(1001, summary(LogReplay.patch(log.read(1))).getCountAddData());
        assertEquals(0, summary(LogReplay.patch(log.read(1))).getCountDeleteData());
        assertEquals(500, summary(LogReplay.patch(log.read(2))).getCountDeleteData());
        assertEquals(0, summary(LogReplay.patch(log.read(2))).getCountAddData());
        LogReplay.assertLogReproduces(log, dsg);
        assertEquals(0, spillFilesLeft(), "spill files are removed after commit");
    }

    @Test
    void anAbortedSpilledTransactionLeavesNoPatchAndNoFiles() throws IOException {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 10, CommitAttributes.NONE);
        dsg.begin(TxnType.WRITE);
        for ( int i = 0 ; i < 100 ; i++ )
            dsg.add(q("(:g :s :p " + i + ")"));
        dsg.abort();
        dsg.end();
        dsg.begin(TxnType.WRITE);
        for ( int i = 0 ; i < 100 ; i++ )
            dsg.add(q("(:g :s :q " + i + ")"));
        dsg.delete(q("(:g :s :q 5)"));
        dsg.abort();
        dsg.end();
        assertEquals(0, log.publishedVersion());
        assertEquals(0, spillFilesLeft(), "spill files are removed after abort");
    }

    @Test
    void aTransactionThatCannotBeSpilledFailsWithTheReasonAndCommitsNothing() throws IOException {
        Path notADirectory = Files.writeString(tmp.resolve("a-file"), "x");
        base = DatasetGraphFactory.createTxnMem();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(notADirectory.resolve("spill")).withSpillThreshold(10));
        for ( int size : new int[] {100, 20_000} ) {   // one fails at commit, one while the changes come
            RuntimeException ex = assertThrows(RuntimeException.class, () -> Txn.executeWrite(dsg, () -> {
                for ( int i = 0 ; i < size ; i++ )
                    dsg.add(q("(:g :s :p " + i + ")"));
            }));
            assertTrue(ex.getMessage().contains(notADirectory.resolve("spill").toString()) && ex.getMessage().contains("cdc:spillDirectory"),
                       ex.getMessage());
            assertEquals(0, log.publishedVersion());
            Txn.executeRead(dsg, () -> assertTrue(dsg.isEmpty()));
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().equals("fuseki-cdc-spill") && t.isAlive()),
                   "no spill thread is left running");
    }

    @Test
    void aSpilledTransactionWhoseChangesCancelOutProducesNoPatch() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 10, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < 100 ; i++ )
                dsg.add(q("(:g :s :p " + i + ")"));
            for ( int i = 0 ; i < 100 ; i++ )
                dsg.delete(q("(:g :s :p " + i + ")"));
        });
        assertEquals(0, log.publishedVersion());
    }

    @Test
    void literalsWithNewlinesAndBlankNodesSurviveTheSpill() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 5, CommitAttributes.NONE);
        String data = """
            PREFIX : <http://example/>
            :s :p "line1\\nline2" , "tab\\there"@en , _:b1 .
            _:b1 :p "x" .
            GRAPH :g { :s :p "é ü \\"quoted\\"" , 12 , 1.5e3 , true , "2024-01-01"^^<http://www.w3.org/2001/XMLSchema#date> }
            """;
        Txn.executeWrite(dsg, () -> RDFParser.fromString(data, Lang.TRIG).parse(dsg));
        assertEquals(1, log.publishedVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aCommitWithHeadersPutsThemOnItsPatchAndOnNoOther() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100, () -> Map.of(PatchHeaders.USER, "alice"));
        dsg.begin(org.apache.jena.query.TxnType.WRITE);
        dsg.add(q("(:g :s :p 1)"));
        dsg.commit(Map.of(PatchHeaders.SOURCE, "pg", PatchHeaders.SOURCE_LSN, "0/16B3748"));
        dsg.end();
        // Nothing changed: no patch, whatever the headers.
        dsg.begin(org.apache.jena.query.TxnType.WRITE);
        dsg.add(q("(:g :s :p 1)"));
        dsg.commit(Map.of(PatchHeaders.SOURCE, "pg", PatchHeaders.SOURCE_LSN, "0/16B3800"));
        dsg.end();
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 2)")));
        assertEquals(2, log.publishedVersion());
        RDFPatch p = LogReplay.patch(log.read(1));
        assertEquals("pg", p.getHeader(PatchHeaders.SOURCE).getLiteralLexicalForm());
        assertEquals("0/16B3748", p.getHeader(PatchHeaders.SOURCE_LSN).getLiteralLexicalForm());
        assertEquals("alice", p.getHeader(PatchHeaders.USER).getLiteralLexicalForm(), "commit attributes are kept");
        assertNull(LogReplay.patch(log.read(2)).getHeader(PatchHeaders.SOURCE), "a plain commit has no source header");
    }

    @Test
    void patchHeadersCarryTheCommitAttributes() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100,
                                            () -> Map.of(PatchHeaders.USER, "alice", PatchHeaders.REQUEST_ID, "req-42"));
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        RDFPatch p = LogReplay.patch(log.read(1));
        assertEquals("alice", p.getHeader(PatchHeaders.USER).getLiteralLexicalForm());
        assertEquals("req-42", p.getHeader(PatchHeaders.REQUEST_ID).getLiteralLexicalForm());
        assertEquals("1", p.getHeader(PatchHeaders.VERSION).getLiteralLexicalForm());
    }

    @Test
    void aFailedStoreCommitLeavesNoRecordAndTheVersionIsReused() {
        DatasetGraph mem = DatasetGraphFactory.createTxnMem();
        boolean[] failNext = {false};
        DatasetGraph failing = new DatasetGraphWrapper(mem) {
            @Override
            public void commit() {
                if ( failNext[0] ) {
                    failNext[0] = false;
                    super.abort();
                    throw new IllegalStateException("store commit failed");
                }
                super.commit();
            }
        };
        CapturingDatasetGraph dsg = capture(failing, 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        failNext[0] = true;
        assertThrows(IllegalStateException.class, () -> Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 2)"))));
        assertEquals(1, log.headVersion());
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 3)")));
        assertEquals(2, log.publishedVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }

    /**
     * A store may let the next writer in as soon as its commit returns, before this commit has
     * published its record (TDB2 does). That writer's commit must wait for the publication
     * rather than find a record still pending and fail.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aWriterCommittingBeforeThePreviousRecordIsPublishedWaitsForIt(String name, Function<Path, DatasetGraph> store) throws Exception {
        CountDownLatch storeCommitted = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        DatasetGraph slowPublish = new DatasetGraphWrapper(store.apply(tmp)) {
            @Override
            public void commit() {
                super.commit();
                if ( first.compareAndSet(true, false) ) {
                    storeCommitted.countDown();
                    // Leave a second writer the time to run a whole transaction before this one publishes.
                    try {
                        secondDone.await(500, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        };
        CapturingDatasetGraph dsg = capture(slowPublish, 100, CommitAttributes.NONE);
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> {
            try {
                storeCommitted.await();
            } catch (InterruptedException ex) {
                throw new IllegalStateException(ex);
            }
            Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 2)")));
            secondDone.countDown();
        });
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        second.get(30, TimeUnit.SECONDS);
        assertEquals(2, log.publishedVersion());
        LogReplay.assertLogReproduces(log, dsg);
    }

    @Test
    void aTransactionWhosePatchCannotBeLoggedIsNotCommitted() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100, CommitAttributes.NONE);
        log.close();
        assertThrows(ChangeLogException.class, () -> Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)"))));
        Txn.executeRead(dsg, () -> assertTrue(dsg.isEmpty(), "the data must not hold a change the log does not"));
    }

    @Test
    void writesOutsideATransactionAreRefusedWithAClearMessage() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100, CommitAttributes.NONE);
        Exception ex = assertThrows(RuntimeException.class, () -> dsg.add(q("(:g :s :p 1)")));
        assertTrue(ex.getMessage().contains("inside a transaction"), ex.getMessage());
    }

    @Test
    void readersOfACapturedDatasetsLogCannotWriteToIt() {
        CapturingDatasetGraph dsg = capture(DatasetGraphFactory.createTxnMem(), 100, CommitAttributes.NONE);
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> LogWriter.claim(dsg.changeLog()));
        assertTrue(ex.getMessage().contains("already has its writer"), ex.getMessage());
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        assertEquals(1, log.publishedVersion(), "capture still writes");
    }

    @Test
    void recoveryRemovesALoggedRecordWhoseTransactionNeverCommitted() {
        DatasetGraph mem = DatasetGraphFactory.createTxnMem();
        CapturingDatasetGraph dsg = capture(mem, 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        log.close();
        // As if the process died after appending version 2 but before the store committed it.
        try (ChangeLog reopened = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"))) {
            LogWriter.claim(reopened).append((meta, out) -> out.write("TX .\nA <http://example/s> <http://example/p> 2 <http://example/g> .\nTC .\n"
                                                                      .getBytes(StandardCharsets.UTF_8)));
        }
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        assertEquals(2, log.headVersion());
        CapturingDatasetGraph.create(mem, log, CaptureConfig.defaults(tmp.resolve("spill")));
        assertEquals(1, log.headVersion());
        assertEquals(1, log.publishedVersion());
    }

    @Test
    void recoveryKeepsALoggedRecordWhoseTransactionCommitted() {
        DatasetGraph mem = DatasetGraphFactory.createTxnMem();
        CapturingDatasetGraph dsg = capture(mem, 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> dsg.add(q("(:g :s :p 1)")));
        log.close();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        CapturingDatasetGraph.create(mem, log, CaptureConfig.defaults(tmp.resolve("spill")));
        assertEquals(1, log.publishedVersion());
    }

    @Test
    void recoveryStopsWhenTheDataMatchesTheLastRecordOnlyInPart() {
        DatasetGraph mem = DatasetGraphFactory.createTxnMem();
        CapturingDatasetGraph dsg = capture(mem, 100, CommitAttributes.NONE);
        Txn.executeWrite(dsg, () -> {
            dsg.add(q("(:g :s :p 1)"));
            dsg.add(q("(:g :s :p 2)"));
        });
        log.close();
        Txn.executeWrite(mem, () -> mem.delete(q("(:g :s :p 2)")));   // changed behind capture's back
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        ChangeLogException ex = assertThrows(ChangeLogException.class,
                                             () -> CapturingDatasetGraph.create(mem, log, CaptureConfig.defaults(tmp.resolve("spill"))));
        assertTrue(ex.getMessage().contains("disagree"), ex.getMessage());
        assertTrue(ex.getMessage().contains("1 are in the data and 1 are not"), ex.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aSnapshotShowsExactlyTheVersionItReportsWhileWritersCommit(String name, Function<Path, DatasetGraph> store) throws Exception {
        CapturingDatasetGraph dsg = capture(store);
        Node s = NodeFactory.createURI("http://example/s");
        Node p = NodeFactory.createURI("http://example/p");
        Thread writer = Thread.ofPlatform().start(() -> {
            for ( int i = 1 ; i <= 150 ; i++ ) {
                int v = i;
                Txn.executeWrite(dsg, () -> dsg.add(Quad.defaultGraphIRI, s, p, NodeFactory.createLiteralDT(Integer.toString(v),
                                                                                                       org.apache.jena.datatypes.xsd.XSDDatatype.XSDinteger)));
            }
        });
        int checked = 0;
        while ( writer.isAlive() || checked == 0 ) {
            long version = dsg.beginReadAtKnownVersion();
            try {
                // Version v added the values 1..v, one per transaction.
                assertEquals(version, dsg.getDefaultGraph().size(), "snapshot of version " + version);
            } finally {
                dsg.end();
            }
            checked++;
        }
        writer.join();
        assertTrue(checked > 0);
    }
}
