package org.fusekicdc.core.internal.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential: a random workload is recorded version by version, with a dump of the whole
 * dataset kept after each commit; reads as of random versions must equal the dumps, and net
 * changes must equal the difference of two dumps.
 */
class AsOfReadTest {
    private static final String QUERY = "SELECT ?g ?s ?p ?o { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
    private static final String JOIN = "SELECT ?s ?o2 { ?s <http://example/p0> ?o . ?o <http://example/p1> ?o2 }";

    @TempDir
    Path tmp;

    private ChangeLog log;
    private DatasetGraph base;

    @AfterEach
    void close() {
        if ( log != null )
            log.close();
        if ( base != null )
            TDBInternal.expel(base);
    }

    private CapturingDatasetGraph capture(ChangeLogConfig cfg) {
        base = TDB2Factory.connectDataset(tmp.resolve("tdb2").toString()).asDatasetGraph();
        log = ChangeLog.open(cfg);
        return CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(tmp.resolve("spill")));
    }

    private static Node iri(String s) {
        return NodeFactory.createURI("http://example/" + s);
    }

    /** Random transactions over a small vocabulary (so quads are added, deleted and added again); returns the dump after each version, index = version. */
    static List<Set<Quad>> randomWorkload(CapturingDatasetGraph dsg, Random rnd, int versions) {
        List<Set<Quad>> dumps = new ArrayList<>();
        dumps.add(Set.of());
        Node[] graphs = { Quad.defaultGraphIRI, iri("g1"), iri("g2") };
        while ( dumps.size() <= versions ) {
            long before = dsg.changeLog().publishedVersion();
            Txn.executeWrite(dsg, () -> {
                int ops = 1 + rnd.nextInt(6);
                for ( int i = 0 ; i < ops ; i++ ) {
                    Quad q = Quad.create(graphs[rnd.nextInt(graphs.length)], iri("s" + rnd.nextInt(5)), iri("p" + rnd.nextInt(2)),
                                         rnd.nextBoolean() ? iri("s" + rnd.nextInt(5)) : NodeFactory.createLiteralString("v" + rnd.nextInt(3)));
                    if ( rnd.nextInt(3) == 0 )
                        dsg.delete(q);
                    else
                        dsg.add(q);
                }
            });
            if ( dsg.changeLog().publishedVersion() == before )
                continue; // nothing really changed: no version
            dumps.add(Txn.calculateRead(dsg, () -> dump(dsg)));
        }
        return dumps;
    }

    static Set<Quad> dump(DatasetGraph dsg) {
        Set<Quad> out = new HashSet<>();
        dsg.find().forEachRemaining(q -> out.add(NetChange.normalise(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject())));
        return out;
    }

    /** The answer's rows, as sorted strings (a multiset: duplicates count). */
    static List<String> select(DatasetGraph dsg, String query) {
        List<String> rows = new ArrayList<>();
        try (QueryExecution qe = QueryExecutionFactory.create(query, DatasetFactory.wrap(dsg))) {
            var rs = qe.execSelect();
            List<String> vars = rs.getResultVars().stream().sorted().toList();
            rs.forEachRemaining(r -> rows.add(vars.stream().map(v -> v + "=" + r.get(v)).toList().toString()));
        }
        rows.sort(null);
        return rows;
    }

    private static DatasetGraph copyOf(Set<Quad> quads) {
        DatasetGraph d = DatasetGraphFactory.create();
        quads.forEach(d::add);
        return d;
    }

    @Test
    void readsAsOfRandomVersionsEqualTheRecordedDumps() {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<Set<Quad>> dumps = randomWorkload(dsg, rnd, 60);
        for ( int i = 0 ; i < 40 ; i++ ) {
            long v = rnd.nextInt(dumps.size());
            try (AsOfRead read = AsOfRead.begin(dsg, v, AsOfRead.DEFAULT_MAX_CHANGED_QUADS)) {
                assertEquals(v, read.version());
                assertEquals(dumps.size() - 1, read.head());
                assertEquals(dumps.get((int)v), dump(read.dataset()), "seed " + seed + ", version " + v);
                DatasetGraph expected = copyOf(dumps.get((int)v));
                for ( String q : List.of(QUERY, JOIN) )
                    assertEquals(select(expected, q), select(read.dataset(), q), "seed " + seed + ", version " + v + ": " + q);
                Set<Node> graphsThen = new HashSet<>();
                dumps.get((int)v).stream().map(Quad::getGraph).filter(g -> !Quad.isDefaultGraph(g)).forEach(graphsThen::add);
                Set<Node> graphsSeen = new HashSet<>();
                read.dataset().listGraphNodes().forEachRemaining(graphsSeen::add);
                assertEquals(graphsThen, graphsSeen, "seed " + seed + ", version " + v);
            }
        }
    }

    @Test
    void netChangesEqualTheDifferenceOfDumps() {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        List<Set<Quad>> dumps = randomWorkload(dsg, rnd, 50);
        for ( int i = 0 ; i < 40 ; i++ ) {
            int a = rnd.nextInt(dumps.size());
            int b = a + rnd.nextInt(dumps.size() - a);
            NetChange net = NetChange.between(log, a, b, Long.MAX_VALUE);
            Set<Quad> added = new HashSet<>(dumps.get(b));
            added.removeAll(dumps.get(a));
            Set<Quad> removed = new HashSet<>(dumps.get(a));
            removed.removeAll(dumps.get(b));
            Set<Quad> netAdded = new HashSet<>();
            net.forEachAdded(netAdded::add);
            Set<Quad> netRemoved = new HashSet<>();
            net.forEachRemoved(netRemoved::add);
            assertEquals(added, netAdded, "seed " + seed + ", " + a + ".." + b);
            assertEquals(removed, netRemoved, "seed " + seed + ", " + a + ".." + b);
        }
    }

    @Test
    void theBaseAndThePatchesAgreeWhileWritesGoOn() throws Exception {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        List<Set<Quad>> dumps = randomWorkload(dsg, new Random(7), 10);
        try (AsOfRead read = AsOfRead.begin(dsg, 3, AsOfRead.DEFAULT_MAX_CHANGED_QUADS)) {
            // Commits after the read began are neither in its base nor undone by it.
            CompletableFuture.runAsync(() -> Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(_ <http://example/new> <http://example/p> 1)")))).get();
            assertEquals(11, log.publishedVersion());
            assertEquals(10, read.head());
            assertEquals(dumps.get(3), dump(read.dataset()));
        }
    }

    @Test
    void versionsBeyondRetentionOrNewerThanTheHeadAreRefused() {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withSegmentBytes(1024)
                                            .withRetention(new Retention(5, null, 0, false)));
        List<Set<Quad>> dumps = randomWorkload(dsg, new Random(11), 40);
        log.applyRetention();
        long oldest = AsOfRead.oldestReachable(log);
        assertTrue(oldest > 0, "retention removed something");
        VersionGoneException gone = assertThrows(VersionGoneException.class, () -> AsOfRead.begin(dsg, oldest - 1, 1000));
        assertEquals(oldest, gone.oldestAvailable());
        try (AsOfRead read = AsOfRead.begin(dsg, oldest, AsOfRead.DEFAULT_MAX_CHANGED_QUADS)) {
            assertEquals(dumps.get((int)oldest), dump(read.dataset()));
        }
        assertThrows(IllegalArgumentException.class, () -> AsOfRead.begin(dsg, 41, 1000));
        assertFalse(dsg.isInTransaction(), "a refused read ends its transaction");
    }

    @Test
    void undoingMoreThanTheBoundIsRefusedNamingIt() {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        randomWorkload(dsg, new Random(3), 30);
        NetChange.TooManyChanges e = assertThrows(NetChange.TooManyChanges.class, () -> AsOfRead.begin(dsg, 0, 2));
        assertTrue(e.getMessage().contains("more than 2 distinct quads"), e.getMessage());
        assertFalse(dsg.isInTransaction());
    }

    @Test
    void theVersionAtATimeIsTheLastCommittedAtOrBeforeIt() {
        Instant[] now = { Instant.parse("2026-01-01T00:00:00Z") };
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withClock(() -> now[0]));
        for ( int i = 1 ; i <= 5 ; i++ ) {
            now[0] = now[0].plus(Duration.ofMinutes(10));
            int n = i;
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(_ <http://example/s> <http://example/p> " + n + ")")));
        }
        // Version i was committed at 00:i0.
        assertEquals(3, VersionAtTime.at(log, Instant.parse("2026-01-01T00:30:00Z")).version());
        assertEquals(3, VersionAtTime.at(log, Instant.parse("2026-01-01T00:39:59Z")).version());
        assertEquals(Instant.parse("2026-01-01T00:30:00Z"), VersionAtTime.at(log, Instant.parse("2026-01-01T00:39:59Z")).committed());
        assertEquals(5, VersionAtTime.at(log, Instant.parse("2030-01-01T00:00:00Z")).version());
        assertEquals(null, VersionAtTime.at(log, Instant.parse("2026-01-01T00:09:59Z")));
    }

    @Test
    void readsFarBackStartFromTheNearestHistorySnapshotAndEqualTheDumps() throws Exception {
        CapturingDatasetGraph dsg = capture(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        Path dir = tmp.resolve("history");
        java.nio.file.Files.createDirectories(dir.resolve("tmp-unfinished"));
        java.nio.file.Files.createDirectories(dir.resolve("v3"));
        HistorySnapshots snapshots = new HistorySnapshots(dsg, dir, 5, 3);
        List<Set<Quad>> dumps;
        try {
            snapshots.start();
            assertEquals(List.of(), snapshots.versions(), "a copy without its history record is not kept");
            assertFalse(java.nio.file.Files.exists(dir.resolve("tmp-unfinished")));
            long seed = System.nanoTime();
            Random rnd = new Random(seed);
            dumps = randomWorkload(dsg, rnd, 40);
            // The copier is done once fewer than 5 versions lie past its newest copy: until then a
            // further copy may come and retire the oldest the reads below expect.
            TestSupport.await("a history copy after version 35", Duration.ofSeconds(60),
                              () -> !snapshots.versions().isEmpty() && snapshots.versions().getLast() > 35);
            List<Long> kept = snapshots.versions();
            assertEquals(3, kept.size(), "the newest three are kept: " + kept);
            for ( int i = 0 ; i < 40 ; i++ ) {
                long v = rnd.nextInt(dumps.size());
                long expectedBase = kept.stream().filter(s -> s >= v && s < 40).findFirst().orElse(40L);
                try (AsOfRead read = AsOfRead.begin(dsg, v, AsOfRead.DEFAULT_MAX_CHANGED_QUADS, snapshots)) {
                    assertEquals(expectedBase, read.base(), "version " + v + ", copies " + kept);
                    assertEquals(dumps.get((int)v), dump(read.dataset()), "seed " + seed + ", version " + v + " from " + read.base());
                    assertEquals(select(copyOf(dumps.get((int)v)), JOIN), select(read.dataset(), JOIN));
                }
            }
        } finally {
            snapshots.close();
        }
        // A restart finds the copies again.
        HistorySnapshots again = new HistorySnapshots(dsg, dir, 5, 3);
        try {
            List<Long> before = List.copyOf(again.versions());
            assertEquals(List.of(), before);
            again.start();
            assertEquals(3, again.versions().size());
            long v = again.versions().getFirst() - 1;
            try (AsOfRead read = AsOfRead.begin(dsg, v, AsOfRead.DEFAULT_MAX_CHANGED_QUADS, again)) {
                assertEquals(again.versions().getFirst(), read.base());
                assertEquals(dumps.get((int)v), dump(read.dataset()));
            }
        } finally {
            again.close();
        }
    }
}
