package org.fusekicdc.sink.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesCollector;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The webhook sink against real HTTP receivers in this JVM: signed, ordered delivery to several
 * endpoints; flaky, slow, refusing and unauthorised receivers; retries exhausted; filters;
 * batches. The rate limit and the length of retry waits are checked on a test clock in {@link WebhookSinkTest}.
 */
class WebhookSinkIT {
    private static final String SECRET = "test-secret-\u00e9";
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));
    private static final String NS = "http://example/";

    @TempDir
    Path work;

    private ChangeLog log;
    private CapturingDatasetGraph dsg;
    private final List<Receiver> receivers = new ArrayList<>();
    private final WebhookSinkProvider provider = new WebhookSinkProvider(Map.of("HOOK_SECRET", SECRET)::get);

    @BeforeEach
    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
    }

    @AfterEach
    void close() {
        receivers.forEach(Receiver::close);
        log.close();
    }

    private Receiver receiver(Receiver.Behaviour b) throws Exception {
        Receiver r = new Receiver(b);
        receivers.add(r);
        return r;
    }

    private SinkRunner runner(SinkConfig config, String... kv) {
        Map<String, String> m = new HashMap<>(Map.of("secretEnv", "HOOK_SECRET", "backoffInitialMillis", "20", "backoffMaxMillis", "200"));
        for ( int i = 0 ; i < kv.length ; i += 2 )
            m.put(kv[i], kv[i + 1]);
        return new SinkRunner(log, provider.create("ds", new OptionValues("hook", m), work), config);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        TestSupport.await(what, Duration.ofSeconds(30), condition);
    }

    private void workload(int transactions) {
        Workload w = new Workload(11, "h");
        for ( int i = 0 ; i < transactions ; i++ )
            w.step(dsg);
    }

    private static RDFPatch parse(String contentType, byte[] body) {
        return PatchRecord.BINARY.equals(contentType) ? RDFPatchReaderBinary.read(new ByteArrayInputStream(body))
                                                      : RDFPatchOps.read(new ByteArrayInputStream(body));
    }

    /** The first request that each version got 2xx for, in order of arrival: a receiver that deduplicates by patch id sees these. */
    private static List<Receiver.Request> deduplicated(Receiver r, Set<Long> accepted) {
        Set<String> ids = new LinkedHashSet<>();
        List<Receiver.Request> out = new ArrayList<>();
        synchronized (r.requests) {
            for ( Receiver.Request q : r.requests ) {
                if ( accepted.contains(q.version()) && ids.add(q.header("cdc-id")) )
                    out.add(q);
            }
        }
        return out;
    }

    @ParameterizedTest(name = "format {0}")
    @ValueSource(strings = {"text", "binary"})
    void everyEndpointGetsEveryPatchSignedAndInOrder(String format) throws Exception {
        Receiver a = receiver((q, n) -> Receiver.Answer.OK), b = receiver((q, n) -> Receiver.Answer.OK);
        workload(30);
        try (SinkRunner runner = runner(FAST_RETRY, "url", a.url() + ", " + b.url(), "format", format)) {
            runner.start();
            workload(60);
            await("delivered", () -> runner.status().cursor() == log.publishedVersion());
        }
        long last = log.publishedVersion();
        String contentType = "binary".equals(format) ? PatchRecord.BINARY : PatchRecord.TEXT;
        for ( Receiver r : List.of(a, b) ) {
            assertEquals(last, r.requests.size(), "one request per patch");
            DatasetGraph replay = DatasetGraphFactory.createTxnMem();
            String prev = null;
            for ( int i = 0 ; i < r.requests.size() ; i++ ) {
                Receiver.Request q = r.requests.get(i);
                assertEquals(i + 1, q.version(), "in version order");
                assertTrue(Receiver.verify(SECRET.getBytes(StandardCharsets.UTF_8), q.body(), q.header("cdc-signature")), "signature of version " + (i + 1));
                assertFalse(Receiver.verify("other".getBytes(StandardCharsets.UTF_8), q.body(), q.header("cdc-signature")));
                assertEquals(contentType, q.header("Content-Type"));
                assertEquals("ds", q.header("cdc-dataset"));
                assertEquals(prev, q.header("cdc-prev"));
                RDFPatch p = parse(contentType, q.body());
                assertEquals("uuid:" + q.header("cdc-id"), p.getHeader(PatchHeaders.ID).getURI());
                RDFPatchOps.applyChange(replay, p);
                prev = q.header("cdc-id");
            }
            LogReplay.assertSameDataset(dsg, replay, "replay of what " + r.url() + " received");
        }
    }

    @Test
    void flakyAndSlowReceiversGetEveryPatchAfterRetriesHonouringRetryAfter() throws Exception {
        // Each version: 503, then 429 asking to wait 1 s, then accepted; version 3's first request is also answered too late.
        Receiver r = receiver((q, n) -> switch (n) {
            case 0 -> q.version() == 3 ? new Receiver.Answer(200, null, 2500) : Receiver.Answer.status(503);
            case 1 -> new Receiver.Answer(429, "1", 0);
            default -> Receiver.Answer.OK;
        });
        workload(5);
        long last = log.publishedVersion();
        try (SinkRunner runner = runner(FAST_RETRY, "url", r.url(), "requestTimeoutSeconds", "1", "backoffMaxMillis", "2000")) {
            runner.start();
            await("delivered", () -> runner.status().cursor() == last);
            assertEquals(SinkState.RUNNING, runner.status().state());
        }
        assertEquals(3 * last, r.requests.size(), "three requests per version");
        for ( int i = 0 ; i + 2 < r.requests.size() ; i += 3 ) {
            Receiver.Request second = r.requests.get(i + 1), third = r.requests.get(i + 2);
            assertTrue(third.nanos() - second.nanos() >= 900_000_000L, "Retry-After: 1 is honoured: " + (third.nanos() - second.nanos()) / 1_000_000 + " ms");
        }
        Set<Long> all = new java.util.HashSet<>();
        for ( long v = 1 ; v <= last ; v++ )
            all.add(v);
        assertEquals(last, deduplicated(r, all).size(), "deduplicated by patch id, each version once");
    }

    @Test
    void aClientErrorIsNotRetriedAndPausesTheSinkOrGoesToTheDeadLetterDirectory() throws Exception {
        Receiver r = receiver((q, n) -> q.version() == 4 ? Receiver.Answer.status(422) : Receiver.Answer.OK);
        workload(8);
        long last = log.publishedVersion();
        try (SinkRunner runner = runner(FAST_RETRY, "url", r.url())) {
            runner.start();
            await("paused", () -> runner.status().state() == SinkState.PAUSED);
            SinkStatus s = runner.status();
            assertEquals(3, s.cursor(), "the cursor stops before the refused patch");
            assertTrue(s.lastError().contains("version 4") && s.lastError().contains("422") && s.lastError().contains("not retried")
                       && s.lastError().contains("dead-letter"), s.lastError());
        }
        assertEquals(1, r.requests.stream().filter(q -> q.version() == 4).count(), "a 422 is not retried");
        Path dead = work.resolve("dead");
        try (SinkRunner runner = runner(FAST_RETRY.withDeadLetterDir(dead), "url", r.url())) {
            runner.start();
            await("delivered", () -> runner.status().cursor() == last);
            assertEquals(1, runner.status().deadLettered());
        }
        assertTrue(Files.readString(dead.resolve("hook/4.reason.txt")).contains("422"));
        assertTrue(r.requests.stream().anyMatch(q -> q.version() == last));
    }

    @Test
    void whenRetriesAreExhaustedTheSinkPausesAndTheCursorStays() throws Exception {
        Receiver r = receiver((q, n) -> Receiver.Answer.status(500));
        workload(3);
        try (SinkRunner runner = runner(FAST_RETRY, "url", r.url(), "maxAttempts", "3")) {
            runner.start();
            await("paused", () -> runner.status().state() == SinkState.PAUSED);
            assertEquals(0, runner.status().cursor());
            assertTrue(runner.status().lastError().contains("failed 3 times") && runner.status().lastError().contains("HTTP 500"), runner.status().lastError());
        }
        assertEquals(3, r.requests.size(), "maxAttempts requests, then no more");
    }

    @Test
    void aReceiverThatIsNotThereIsRetriedThenPauses() throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        workload(2);
        try (SinkRunner runner = runner(FAST_RETRY, "url", "http://127.0.0.1:" + port + "/hook", "maxAttempts", "2")) {
            runner.start();
            await("paused", () -> runner.status().state() == SinkState.PAUSED);
            assertEquals(0, runner.status().cursor());
            assertTrue(runner.status().lastError().contains("cannot reach the endpoint"), runner.status().lastError());
        }
    }

    @Test
    void filtersSendOnlyTheChangesOfTheChosenGraphsAndPredicatesAndSkipEmptyPatches() throws Exception {
        Node g1 = NodeFactory.createURI(NS + "g1"), g2 = NodeFactory.createURI(NS + "g2");
        Node name = NodeFactory.createURI(NS + "name"), age = NodeFactory.createURI(NS + "age");
        Node s = NodeFactory.createURI(NS + "s");
        Txn.executeWrite(dsg, () -> dsg.add(g1, s, name, NodeFactory.createLiteralString("a")));  // 1: sent
        Txn.executeWrite(dsg, () -> dsg.add(g2, s, name, NodeFactory.createLiteralString("b")));  // 2: other graph
        Txn.executeWrite(dsg, () -> dsg.add(g1, s, age, NodeFactory.createLiteralString("3")));   // 3: other predicate
        Txn.executeWrite(dsg, () -> {                                                              // 4: part of it
            dsg.add(g1, s, name, NodeFactory.createLiteralString("c"));
            dsg.add(g2, s, name, NodeFactory.createLiteralString("d"));
            dsg.add(Quad.defaultGraphIRI, s, name, NodeFactory.createLiteralString("e"));
            dsg.prefixes().add("ex", NS);
        });
        Txn.executeWrite(dsg, () -> dsg.delete(g1, s, name, NodeFactory.createLiteralString("a"))); // 5: sent
        Receiver r = receiver((q, n) -> Receiver.Answer.OK), all = receiver((q, n) -> Receiver.Answer.OK);
        try (SinkRunner runner = runner(FAST_RETRY, "url", r.url(), "graphs", "<" + NS + "g1> default", "predicates", NS + "name")) {
            runner.start();
            await("delivered", () -> runner.status().cursor() == 5);
        }
        assertEquals(List.of(1L, 4L, 5L), r.requests.stream().map(Receiver.Request::version).toList(), "empty patches are not sent");
        RDFChangesCollector c = new RDFChangesCollector();
        new RDFPatchReaderText(new ByteArrayInputStream(r.requests.get(1).body())).apply(c);
        RDFPatch four = c.getRDFPatch();
        DatasetGraph got = DatasetGraphFactory.createTxnMem();
        RDFPatchOps.applyChange(got, four);
        assertEquals(2, Txn.calculateRead(got, () -> (long)got.stream().toList().size()), "g1 and default graph quads with the predicate");
        assertTrue(Txn.calculateRead(got, () -> got.contains(g1, s, name, NodeFactory.createLiteralString("c"))));
        assertTrue(Txn.calculateRead(got, () -> got.getDefaultGraph().contains(s, name, NodeFactory.createLiteralString("e"))));
        assertFalse(Txn.calculateRead(got, () -> got.prefixes().containsPrefix("ex")), "prefix changes are dropped when filtering");
        assertEquals(log.read(4).meta().id().toString(), r.requests.get(1).header("cdc-id"), "a filtered patch keeps its id");
        assertTrue(Receiver.verify(SECRET.getBytes(StandardCharsets.UTF_8), r.requests.get(1).body(), r.requests.get(1).header("cdc-signature")));

        try (SinkRunner runner = new SinkRunner(log, provider.create("ds", new OptionValues("hook2", Map.of("secretEnv", "HOOK_SECRET", "url", all.url(),
                                                                     "predicates", NS + "name", "sendEmptyPatches", "true")), work), FAST_RETRY)) {
            runner.start();
            await("delivered", () -> runner.status().cursor() == 5);
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), all.requests.stream().map(Receiver.Request::version).toList(), "with sendEmptyPatches every version");
        assertTrue(parse(PatchRecord.TEXT, all.requests.get(2).body()).getHeader(PatchHeaders.ID) != null, "an empty patch still has its headers");
    }

    @Test
    void batchesCarrySeveralPatchesInOrderInOneSignedBody() throws Exception {
        Receiver r = receiver((q, n) -> Receiver.Answer.OK);
        workload(55);
        long last = log.publishedVersion();
        try (SinkRunner runner = runner(FAST_RETRY, "url", r.url(), "batchMaxPatches", "10")) {
            runner.start();
            await("delivered", () -> runner.status().cursor() == last);
        }
        assertTrue(r.requests.size() <= (last + 9) / 10 + 1, "about one request per 10 patches: " + r.requests.size());
        long expected = 1;
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        for ( Receiver.Request q : r.requests ) {
            long first = q.header("cdc-first-version") == null ? q.version() : Long.parseLong(q.header("cdc-first-version"));
            assertEquals(expected, first, "batches follow each other");
            assertEquals(q.version() - first + 1, q.header("cdc-count") == null ? 1 : Long.parseLong(q.header("cdc-count")));
            assertTrue(Receiver.verify(SECRET.getBytes(StandardCharsets.UTF_8), q.body(), q.header("cdc-signature")));
            // The body is the patches one after another; each keeps its own H id / H version.
            List<Long> versions = new ArrayList<>();
            new RDFPatchReaderText(new ByteArrayInputStream(q.body())).apply(new org.apache.jena.rdfpatch.changes.RDFChangesWrapper(new org.apache.jena.rdfpatch.changes.RDFChangesApply(replay)) {
                @Override
                public void header(String field, Node value) {
                    if ( field.equals(PatchHeaders.VERSION) )
                        versions.add(Long.parseLong(value.getLiteralLexicalForm()));
                }
            });
            List<Long> want = new ArrayList<>();
            for ( long v = first ; v <= q.version() ; v++ )
                want.add(v);
            assertEquals(want, versions);
            expected = q.version() + 1;
        }
        assertEquals(last + 1, expected);
        LogReplay.assertSameDataset(dsg, replay, "replay of the batches");
    }
}
