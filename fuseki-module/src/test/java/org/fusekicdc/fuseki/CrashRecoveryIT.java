package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash-exactness of the change log: a real Fuseki in a child JVM takes a random write workload
 * over HTTP and dies, either by an injected {@code Runtime.halt} between the log append and the
 * store's commit ({@code afterAppend}), between the store's commit and publication
 * ({@code afterStoreCommit}), in the middle of a large write ({@code midWrite}), or by SIGKILL at
 * a random moment. After each crash this JVM opens the same directories (which runs recovery)
 * and checks that the log replays to exactly the data, that every acknowledged change is there,
 * that no request is half applied, and that the next write continues the version sequence. The
 * data and the log accumulate across rounds, so later rounds recover on top of earlier ones.
 * <p>
 * Reproduce a run with {@code -Dfusekicdc.crashSeed=<seed printed at start>} (thread timing still
 * varies, the plan does not).
 */
class CrashRecoveryIT {
    private static final long DEFAULT_SEED = 0x5eed_cdc_2024L;
    private static final int SPILL_THRESHOLD = 1000;
    private static final int RANDOM_KILL_ROUNDS = 8;
    private static final int CLIENT_THREADS = 2;
    private static final Duration CHILD_START_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A round's workload stops after this long even if the child is still alive. Injected crashes
     * end a round as soon as their point is reached, which on a loaded machine can take more than
     * a few seconds (CI once saw a round need more than 6 s for 9 requests).
     */
    private static final Duration WORKLOAD_LIMIT = Duration.ofSeconds(30);

    private static final String NS = "http://ex/";
    private static final Node P = iri(NS + "p");
    private static final Node LABEL = iri(NS + "label");
    private static final Node STATE = iri(NS + "state");
    private static final Node STATES = iri(NS + "states");
    private static final Node SCRATCH = iri(NS + "scratch");
    private static final Node SCRATCH2 = iri(NS + "scratch2");
    private static final Node SCRATCH_PUT = iri(NS + "scratchput");

    @TempDir
    Path work;

    private final List<Process> children = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "crash-killer"));

    // ---- What the parent knows about the requests it sent (across all rounds).

    /** One HTTP request and the changes it makes if it commits. */
    static final class Op {
        final int id;
        final int round;
        String kind;   // set when the request is built
        final List<Quad> adds = new ArrayList<>();
        final List<Quad> dels = new ArrayList<>();
        volatile boolean acked;
        volatile int status = -1;
        /** What to put in the pools once acknowledged. */
        Marker newMarker;
        Bulk newBulk;

        Op(int id, int round) {
            this.id = id;
            this.round = round;
        }

        @Override
        public String toString() {
            return "request #" + id + " (" + kind + ", round " + round + ", " + (acked ? "acknowledged" : status < 0 ? "no response" : "HTTP " + status) + ")";
        }
    }

    /** A resource with three quads in three graphs; its state quad can be bumped 0 -> 1 once. */
    record Marker(Node s, List<Quad> quads, Quad state0) {}

    /** A graph filled by one large GSP POST. */
    record Bulk(Node graph, List<Quad> quads) {}

    private final List<Op> ops = new CopyOnWriteArrayList<>();
    /** The last request that touched a quad; a request's effect on a quad is only checked if it still owns it. */
    private final Map<Quad, Op> owner = new ConcurrentHashMap<>();
    private final List<Marker> markers = new ArrayList<>();   // guarded by itself
    private final List<Bulk> bulks = new ArrayList<>();       // guarded by itself
    private final AtomicInteger opIds = new AtomicInteger();

    enum Kind { AFTER_APPEND, AFTER_APPEND_TORN_BODY, AFTER_APPEND_TORN_HEADER, AFTER_STORE_COMMIT, MID_WRITE, RANDOM_KILL }

    @AfterEach
    void cleanup() {
        children.forEach(Process::destroyForcibly);
        scheduler.shutdownNow();
    }

    @Test
    void changeLogIsExactAfterCrashes() throws Exception {
        long seed = Long.getLong("fusekicdc.crashSeed", DEFAULT_SEED);
        System.out.println("CrashRecoveryIT seed " + seed + " (rerun with -Dfusekicdc.crashSeed=" + seed + ")");
        Random plan = new Random(seed);
        long start = System.nanoTime();

        List<Kind> rounds = new ArrayList<>(List.of(Kind.AFTER_APPEND, Kind.AFTER_APPEND_TORN_BODY, Kind.AFTER_APPEND_TORN_HEADER,
                                                    Kind.AFTER_STORE_COMMIT, Kind.AFTER_STORE_COMMIT, Kind.MID_WRITE));
        for ( int i = 0 ; i < RANDOM_KILL_ROUNDS ; i++ )
            rounds.add(Kind.RANDOM_KILL);
        Collections.shuffle(rounds, plan);

        int injected = 0;
        int killed = 0;
        long lastHead = 0;
        for ( int r = 0 ; r < rounds.size() ; r++ ) {
            Kind kind = rounds.get(r);
            lastHead = round(r + 1, kind, new Random(plan.nextLong()), lastHead);
            if ( kind == Kind.RANDOM_KILL )
                killed++;
            else
                injected++;
        }
        System.out.printf("Crash rounds: %d (injected %d, random kill %d), all recovered; log head version %d, %d requests (%d acknowledged), %.1f s%n",
                          rounds.size(), injected, killed, lastHead, ops.size(), ops.stream().filter(o -> o.acked).count(),
                          (System.nanoTime() - start) / 1e9);
    }

    /** One round: start a child, write until it dies, recover here and check. Returns the log head after the check. */
    private long round(int round, Kind kind, Random rnd, long headBefore) throws Exception {
        String point = switch (kind) {
            case AFTER_APPEND, AFTER_APPEND_TORN_BODY, AFTER_APPEND_TORN_HEADER -> "afterAppend";
            case AFTER_STORE_COMMIT -> "afterStoreCommit";
            case MID_WRITE -> "midWrite";
            case RANDOM_KILL -> "none";
        };
        int k = 2 + rnd.nextInt(12);
        long killDelay = 200 + rnd.nextInt(1301);
        String label = kind + (kind == Kind.RANDOM_KILL ? " after " + killDelay + " ms" : " at logged commit " + k);

        Child child = startChild(round, point, k);
        int opsBefore = ops.size();
        AtomicBoolean stop = new AtomicBoolean();
        Future<?> killer = kind == Kind.RANDOM_KILL
            ? scheduler.schedule(() -> { stop.set(true); child.process.destroyForcibly(); }, killDelay, TimeUnit.MILLISECONDS)
            : null;
        List<String> unexpected = runWorkload(child.port, round, rnd, stop);
        if ( !unexpected.isEmpty() ) {
            child.process.destroyForcibly().waitFor();
            fail("Round " + round + ": unexpected responses: " + unexpected);
        }
        boolean died = child.process.waitFor(10, TimeUnit.SECONDS);
        if ( !died ) {
            child.process.destroyForcibly().waitFor();
            fail("Round " + round + " (" + label + "): the child did not crash within " + WORKLOAD_LIMIT.toSeconds() + " s of workload");
        }
        if ( killer != null )
            killer.cancel(false);
        child.output.get(10, TimeUnit.SECONDS);
        int exit = child.process.exitValue();
        assertEquals(CrashChild.HALT_STATUS, exit, "round " + round + " child exit status (halt or SIGKILL)");
        Long haltVersion = child.haltVersion.get();
        if ( kind != Kind.RANDOM_KILL )
            assertTrue(haltVersion != null, () -> "Round " + round + " (" + label + "): no HALT line from the child");

        // Simulate a crash during the append itself: damage the pending record the child left.
        if ( kind == Kind.AFTER_APPEND_TORN_BODY || kind == Kind.AFTER_APPEND_TORN_HEADER )
            tearLastRecord(CrashChild.logDir(work), kind == Kind.AFTER_APPEND_TORN_HEADER, rnd);

        // ---- Recover in this JVM and check.
        long t0 = System.nanoTime();
        Tdb2JournalRepair.repairTornTail(CrashChild.tdbDir(work));   // as the assembler does: a SIGKILL can tear TDB2's journal
        DatasetGraph tdb = TDB2Factory.connectDataset(CrashChild.tdbDir(work).toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(CrashChild.logConfig(work));
        try {
            long opened = log.headVersion();
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(tdb, log, CrashChild.captureConfig(work, SPILL_THRESHOLD));
            long recovered = log.headVersion();
            assertEquals(recovered, log.publishedVersion(), "after recovery everything in the log is published");
            assertTrue(recovered >= headBefore, () -> "Round " + round + ": recovery went below the previous round's head " + headBefore
                                                        + " (now " + recovered + ")");
            String outcome;
            switch (kind) {
                case AFTER_APPEND -> {
                    assertEquals(haltVersion, opened, "round " + round + ": the pending record is in the log when opened");
                    assertEquals(haltVersion - 1, recovered, "round " + round + ": afterAppend: recovery removes the uncommitted record");
                    outcome = "record " + haltVersion + " removed";
                }
                case AFTER_APPEND_TORN_BODY, AFTER_APPEND_TORN_HEADER -> {
                    assertEquals(haltVersion - 1, opened, "round " + round + ": the torn record is cut off when the log is opened");
                    assertEquals(haltVersion - 1, recovered, "round " + round + ": recovery keeps the committed record before the torn one");
                    outcome = "torn record " + haltVersion + " cut off";
                }
                case AFTER_STORE_COMMIT -> {
                    assertEquals(haltVersion, opened, "round " + round + ": the committed record is in the log");
                    assertEquals(haltVersion, recovered, "round " + round + ": afterStoreCommit: recovery keeps the committed record");
                    outcome = "record " + haltVersion + " kept";
                }
                case MID_WRITE -> {
                    assertEquals(haltVersion, opened, "round " + round + ": nothing was appended for the unfinished write");
                    assertEquals(haltVersion, recovered, "round " + round + ": midWrite: the last record was committed and stays");
                    outcome = "head " + haltVersion + " kept";
                }
                default -> {
                    assertTrue(recovered == opened || recovered == opened - 1, "recovery removes at most one record");
                    outcome = recovered == opened ? "head " + opened + " kept" : "record " + opened + " removed";
                }
            }

            // (b) every acknowledged change is in the data, and no request is half applied.
            String effects = checkEffects(dsg, round);

            // (c) the next write continues the sequence.
            Quad probe = Quad.create(iri(NS + "verify"), iri(NS + "round/" + round), P, NodeFactory.createLiteralString(label));
            Txn.executeWrite(dsg, () -> dsg.add(probe));
            assertEquals(recovered + 1, log.headVersion(), "round " + round + ": a write after recovery gets version head+1");
            assertEquals(recovered + 1, log.publishedVersion());
            LogRecord next = log.read(recovered + 1);
            if ( recovered > 0 )
                assertEquals(log.read(recovered).meta().id(), next.meta().prevId(), "round " + round + ": prev of the first record after recovery");

            // (a) the log from version 1 replays to exactly the data: contiguous, chained, only real changes.
            LogReplay.assertLogReproduces(log, dsg);

            int sent = ops.size() - opsBefore;
            long acked = ops.subList(opsBefore, ops.size()).stream().filter(o -> o.acked).count();
            System.out.printf("Round %2d %-45s %3d requests (%3d acked), log %d -> %d (%s), %s; verified in %d ms%n", round, label, sent, acked,
                              opened, recovered, outcome, effects, (System.nanoTime() - t0) / 1_000_000);
            return log.headVersion();
        } finally {
            log.close();
            TDBInternal.expel(tdb);
        }
    }

    // ---- Child process

    private record Child(Process process, int port, AtomicReference<Long> haltVersion, CompletableFuture<Void> output) {}

    private Child startChild(int round, String point, int k) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx512m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
                           work.toString(), point, Integer.toString(k), Integer.toString(SPILL_THRESHOLD)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        CompletableFuture<Integer> port = new CompletableFuture<>();
        AtomicReference<Long> halt = new AtomicReference<>();
        CompletableFuture<Void> output = new CompletableFuture<>();
        Thread reader = daemon(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("PORT ") )
                        port.complete(Integer.parseInt(line.substring(5).trim()));
                    else if ( line.startsWith("HALT ") )
                        halt.set(Long.parseLong(line.substring(line.indexOf("version=") + 8).trim()));
                    else if ( !line.isBlank() )
                        System.out.println("  [child " + round + "] " + line);
                }
            } catch (IOException ex) {
                // The child died.
            } finally {
                port.completeExceptionally(new IllegalStateException("child exited before printing its port"));
                output.complete(null);
            }
        }, "child-" + round + "-output");
        reader.start();
        try {
            return new Child(p, port.get(CHILD_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), halt, output);
        } catch (TimeoutException ex) {
            p.destroyForcibly();
            throw new AssertionError("Round " + round + ": child did not start within " + CHILD_START_TIMEOUT, ex);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    // ---- Workload

    /** Client threads write until the server goes away (or the time limit); returns responses that were neither 2xx nor a dead server. */
    private List<String> runWorkload(int port, int round, Random rnd, AtomicBoolean stop) throws Exception {
        List<String> unexpected = new CopyOnWriteArrayList<>();
        long deadline = System.nanoTime() + WORKLOAD_LIMIT.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENT_THREADS, r -> daemon(r, "crash-client"));
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build()) {
            List<Future<?>> clients = new ArrayList<>();
            for ( int t = 0 ; t < CLIENT_THREADS ; t++ ) {
                Random trnd = new Random(rnd.nextLong());
                clients.add(pool.submit(() -> {
                    while ( !stop.get() && System.nanoTime() < deadline ) {
                        Op op = new Op(opIds.incrementAndGet(), round);
                        HttpRequest req = nextRequest(op, trnd, port);
                        try {
                            HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
                            op.status = resp.statusCode();
                            if ( resp.statusCode() / 100 == 2 ) {
                                op.acked = true;
                                acknowledged(op);
                            } else {
                                unexpected.add(op + ": " + resp.body());
                                stop.set(true);
                            }
                        } catch (IOException ex) {
                            // Connection refused or reset: the server died.
                            stop.set(true);
                        }
                    }
                    return null;
                }));
            }
            for ( Future<?> f : clients )
                f.get(WORKLOAD_LIMIT.toSeconds() + 60, TimeUnit.SECONDS);
        } finally {
            pool.shutdownNow();
        }
        return unexpected;
    }

    private void acknowledged(Op op) {
        if ( op.newMarker != null )
            synchronized (markers) {
                markers.add(op.newMarker);
            }
        if ( op.newBulk != null )
            synchronized (bulks) {
                bulks.add(op.newBulk);
            }
    }

    private Marker takeMarker(Random rnd) {
        synchronized (markers) {
            return markers.isEmpty() ? null : markers.remove(rnd.nextInt(markers.size()));
        }
    }

    private Bulk takeBulk(Random rnd) {
        synchronized (bulks) {
            return bulks.isEmpty() ? null : bulks.remove(rnd.nextInt(bulks.size()));
        }
    }

    /** Register {@code op} as the owner of its quads and build its request. */
    private HttpRequest nextRequest(Op op, Random rnd, int port) {
        HttpRequest req = buildRequest(op, rnd, port);
        op.adds.forEach(q -> owner.put(q, op));
        op.dels.forEach(q -> owner.put(q, op));
        ops.add(op);
        return req;
    }

    private HttpRequest buildRequest(Op op, Random rnd, int port) {
        int dice = rnd.nextInt(100);
        if ( dice < 25 )
            return insertData(op, port);
        if ( dice < 33 )
            return patch(op, rnd, port);
        if ( dice < 43 ) {
            Marker m = takeMarker(rnd);
            if ( m != null )
                return deleteData(op, m, port);
            return insertData(op, port);
        }
        if ( dice < 53 ) {
            Marker m = takeMarker(rnd);
            if ( m != null )
                return bump(op, m, port);
            return insertData(op, port);
        }
        if ( dice < 65 )
            return multiStatement(op, rnd, port);
        if ( dice < 80 )
            return scratchUpdate(op, rnd, port);
        if ( dice < 88 )
            return bulkPost(op, rnd, port);
        if ( dice < 93 ) {
            Bulk b = takeBulk(rnd);
            if ( b != null )
                return dropBulk(op, b, rnd, port);
            return bulkPost(op, rnd, port);
        }
        return putScratch(op, rnd, port);
    }

    private static Marker newMarker(Op op) {
        Node s = iri(NS + "m/" + op.id);
        Quad q1 = Quad.create(iri(NS + "g/" + (op.id % 4)), s, P, NodeFactory.createLiteralDT(Integer.toString(op.id), XSDDatatype.XSDinteger));
        Quad q2 = Quad.create(Quad.defaultGraphIRI, s, LABEL, NodeFactory.createLiteralString("marker " + op.id));
        Quad q3 = Quad.create(STATES, s, STATE, NodeFactory.createLiteralDT("0", XSDDatatype.XSDinteger));
        return new Marker(s, List.of(q1, q2, q3), q3);
    }

    private HttpRequest insertData(Op op, int port) {
        Op o = relabel(op, "INSERT DATA");
        Marker m = newMarker(op);
        o.adds.addAll(m.quads());
        o.newMarker = m;
        return update(port, "INSERT DATA { " + quadData(m.quads()) + " }");
    }

    private HttpRequest deleteData(Op op, Marker m, int port) {
        Op o = relabel(op, "DELETE DATA");
        o.dels.addAll(m.quads());
        return update(port, "DELETE DATA { " + quadData(m.quads()) + " }");
    }

    private HttpRequest bump(Op op, Marker m, int port) {
        Op o = relabel(op, "DELETE/INSERT WHERE");
        Quad state1 = Quad.create(STATES, m.s(), STATE, NodeFactory.createLiteralDT("1", XSDDatatype.XSDinteger));
        o.dels.add(m.state0());
        o.adds.add(state1);
        return update(port, "DELETE { GRAPH " + str(STATES) + " { ?m " + str(STATE) + " ?v } }\n"
                            + "INSERT { GRAPH " + str(STATES) + " { ?m " + str(STATE) + " 1 } }\n"
                            + "WHERE { VALUES ?m { " + str(m.s()) + " } GRAPH " + str(STATES) + " { ?m " + str(STATE) + " ?v } FILTER(?v = 0) }");
    }

    private HttpRequest multiStatement(Op op, Random rnd, int port) {
        Op o = relabel(op, "multi-statement update");
        Marker a = newMarker(op);
        o.adds.addAll(a.quads());
        o.newMarker = a;
        StringBuilder sb = new StringBuilder("INSERT DATA { " + quadData(a.quads()) + " } ;\n");
        Marker b = takeMarker(rnd);
        if ( b != null ) {
            o.dels.addAll(b.quads());
            sb.append("DELETE DATA { ").append(quadData(b.quads())).append(" } ;\n");
        }
        sb.append(scratchStatement(rnd));
        return update(port, sb.toString());
    }

    private HttpRequest scratchUpdate(Op op, Random rnd, int port) {
        relabel(op, "scratch update");
        return update(port, scratchStatement(rnd));
    }

    /** Updates of the scratch graphs: no knowable effect, but real changes (or none) for the log. */
    private static String scratchStatement(Random rnd) {
        String scratch = str(SCRATCH);
        String scratch2 = str(SCRATCH2);
        return switch (rnd.nextInt(6)) {
            case 0, 1 -> {
                StringBuilder sb = new StringBuilder("INSERT DATA { GRAPH " + scratch + " {");
                int n = 1 + rnd.nextInt(20);
                for ( int i = 0 ; i < n ; i++ )
                    sb.append(" <").append(NS).append("j/").append(rnd.nextInt(60)).append("> <").append(NS).append("junk> ").append(rnd.nextInt(20)).append(" .");
                yield sb.append(" } }").toString();
            }
            case 2 -> "DELETE WHERE { GRAPH " + scratch + " { ?s <" + NS + "junk> " + rnd.nextInt(20) + " } }";
            case 3 -> "DELETE { GRAPH " + scratch + " { ?s ?p ?o } } INSERT { GRAPH " + scratch2 + " { ?s <" + NS + "moved> ?o } }\n"
                      + "WHERE { GRAPH " + scratch + " { ?s ?p ?o } FILTER(?o < " + rnd.nextInt(20) + ") }";
            case 4 -> "INSERT { GRAPH " + scratch2 + " { ?s <" + NS + "copied> ?o } } WHERE { GRAPH " + scratch + " { ?s ?p ?o } }";
            default -> rnd.nextBoolean() ? "CLEAR SILENT GRAPH " + scratch2 : "DROP SILENT GRAPH " + scratch;
        };
    }

    private HttpRequest patch(Op op, Random rnd, int port) {
        Op o = relabel(op, "RDF Patch");
        Marker m = newMarker(op);
        o.adds.addAll(m.quads());
        o.newMarker = m;
        StringBuilder sb = new StringBuilder("TX .\n");
        sb.append("PA \"p").append(rnd.nextInt(3)).append("\" \"").append(NS).append("ns").append(rnd.nextInt(4)).append("#\" .\n");
        if ( rnd.nextInt(3) == 0 )
            sb.append("PD \"p").append(rnd.nextInt(3)).append("\" .\n");
        for ( Quad q : m.quads() ) {
            sb.append("A ").append(str(q.getSubject())).append(' ').append(str(q.getPredicate())).append(' ').append(patchTerm(q.getObject()));
            if ( !Quad.isDefaultGraph(q.getGraph()) )
                sb.append(' ').append(str(q.getGraph()));
            sb.append(" .\n");
        }
        sb.append("TC .\n");
        return post(port, "/ds/patch", "application/rdf-patch", sb.toString());
    }

    private HttpRequest bulkPost(Op op, Random rnd, int port) {
        Op o = relabel(op, "GSP POST bulk");
        Node g = iri(NS + "bulk/" + op.id);
        String base = NS + "b/" + op.id + "/";
        int n = 1000 + rnd.nextInt(3000);
        StringBuilder sb = new StringBuilder(n * 32);
        sb.append("PREFIX b: <").append(base).append(">\n");
        sb.append("PREFIX q").append(rnd.nextInt(3)).append(": <").append(NS).append("ns").append(rnd.nextInt(4)).append("#>\n");
        List<Quad> quads = new ArrayList<>(n);
        for ( int i = 0 ; i < n ; i++ ) {
            sb.append("b:s").append(i).append(" <").append(NS).append("p> ").append(i).append(" .\n");
            quads.add(Quad.create(g, iri(base + "s" + i), P, NodeFactory.createLiteralDT(Integer.toString(i), XSDDatatype.XSDinteger)));
        }
        o.adds.addAll(quads);
        o.newBulk = new Bulk(g, quads);
        return post(port, "/ds/data?graph=" + URLEncoder.encode(g.getURI(), StandardCharsets.UTF_8), "text/turtle", sb.toString());
    }

    private HttpRequest dropBulk(Op op, Bulk b, Random rnd, int port) {
        Op o = relabel(op, "DROP/CLEAR bulk graph");
        o.dels.addAll(b.quads());
        return update(port, (rnd.nextBoolean() ? "DROP GRAPH " : "CLEAR GRAPH ") + str(b.graph()));
    }

    private HttpRequest putScratch(Op op, Random rnd, int port) {
        relabel(op, "GSP PUT scratch");
        int n = 100 + rnd.nextInt(500);
        StringBuilder sb = new StringBuilder();
        for ( int i = 0 ; i < n ; i++ )
            sb.append("<").append(NS).append("x/").append(rnd.nextInt(400)).append("> <").append(NS).append("q> ").append(rnd.nextInt(5)).append(" .\n");
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/ds/data?graph=" + URLEncoder.encode(SCRATCH_PUT.getURI(), StandardCharsets.UTF_8)))
                          .header("Content-Type", "text/turtle")
                          .timeout(Duration.ofSeconds(30))
                          .PUT(HttpRequest.BodyPublishers.ofString(sb.toString(), StandardCharsets.UTF_8)).build();
    }

    private static Op relabel(Op op, String kind) {
        op.kind = kind;
        return op;
    }

    private static HttpRequest update(int port, String update) {
        return post(port, "/ds/update", "application/sparql-update", update);
    }

    private static HttpRequest post(int port, String path, String contentType, String body) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
                          .header("Content-Type", contentType)
                          .timeout(Duration.ofSeconds(30))
                          .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    private static String quadData(List<Quad> quads) {
        StringBuilder sb = new StringBuilder();
        for ( Quad q : quads ) {
            String triple = str(q.getSubject()) + " " + str(q.getPredicate()) + " " + str(q.getObject()) + " .";
            if ( Quad.isDefaultGraph(q.getGraph()) )
                sb.append(triple).append(' ');
            else
                sb.append("GRAPH ").append(str(q.getGraph())).append(" { ").append(triple).append(" } ");
        }
        return sb.toString();
    }

    private static String str(Node n) {
        return NodeFmtLib.strNT(n);
    }

    /** RDF Patch text takes no abbreviated literals. */
    private static String patchTerm(Node n) {
        if ( n.isLiteral() && !n.getLiteralDatatypeURI().equals(XSDDatatype.XSDstring.getURI()) )
            return "\"" + n.getLiteralLexicalForm() + "\"^^<" + n.getLiteralDatatypeURI() + ">";
        return str(n);
    }

    private static Node iri(String s) {
        return NodeFactory.createURI(s);
    }

    // ---- Checks

    /**
     * Every request's changes that no later request touched: all there if it was acknowledged;
     * all or nothing if not (a request is one transaction).
     */
    private String checkEffects(DatasetGraph dsg, int round) {
        int[] counts = new int[3];   // acknowledged checked, unacknowledged applied, unacknowledged not applied
        Txn.executeRead(dsg, () -> {
            for ( Op op : ops ) {
                int applied = 0;
                int notApplied = 0;
                Quad firstMissing = null;
                for ( Quad q : op.adds ) {
                    if ( owner.get(q) != op )
                        continue;
                    if ( dsg.contains(q) )
                        applied++;
                    else {
                        notApplied++;
                        if ( firstMissing == null )
                            firstMissing = q;
                    }
                }
                for ( Quad q : op.dels ) {
                    if ( owner.get(q) != op )
                        continue;
                    if ( !dsg.contains(q) )
                        applied++;
                    else {
                        notApplied++;
                        if ( firstMissing == null )
                            firstMissing = q;
                    }
                }
                if ( applied + notApplied == 0 )
                    continue;
                if ( op.acked ) {
                    if ( notApplied > 0 )
                        fail("Round " + round + ": " + op + " was acknowledged but " + notApplied + " of its " + (applied + notApplied)
                             + " changes are not in the data after recovery, e.g. " + (op.adds.contains(firstMissing) ? "missing " : "still present ")
                             + firstMissing);
                    counts[0]++;
                } else {
                    if ( applied > 0 && notApplied > 0 )
                        fail("Round " + round + ": " + op + " is half applied after recovery: " + applied + " changes in the data, " + notApplied
                             + " not, e.g. " + firstMissing);
                    counts[applied > 0 ? 1 : 2]++;
                }
            }
        });
        return String.format("effects: %d acked ok, %d unacked committed, %d unacked lost", counts[0], counts[1], counts[2]);
    }

    /**
     * Make the last record of the log look like an append the crash interrupted: either cut the
     * file inside the record, or (the order the log writes in: body, then header, then checksum)
     * keep the body and zero the header with no checksum.
     */
    private static void tearLastRecord(Path logDir, boolean zeroHeader, Random rnd) throws IOException {
        Path last = null;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(logDir, "*.log")) {
            for ( Path p : ds )
                if ( last == null || p.getFileName().toString().compareTo(last.getFileName().toString()) > 0 )
                    last = p;
        }
        assertTrue(last != null, "no log segment in " + logDir);
        final int header = 60, trailer = 4, atLength = 52;
        try (FileChannel ch = FileChannel.open(last, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = ch.size();
            long pos = 0;
            long lastStart = -1;
            long lastLen = -1;
            while ( pos < size ) {
                ByteBuffer b = ByteBuffer.allocate(8);
                ch.read(b, pos + atLength);
                lastStart = pos;
                lastLen = b.getLong(0);
                pos += header + lastLen + trailer;
            }
            assertEquals(size, pos, "segment " + last + " ends on a record boundary");
            assertTrue(lastStart >= 0, "segment " + last + " holds the pending record");
            if ( zeroHeader ) {
                ch.truncate(lastStart + header + lastLen);
                ch.write(ByteBuffer.allocate(header), lastStart);
            } else {
                ch.truncate(lastStart + 1 + (long)(rnd.nextDouble() * (header + lastLen + trailer - 2)));
            }
            ch.force(true);
        }
    }
}
