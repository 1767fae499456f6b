package org.fusekicdc.core.internal.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.Retention;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryIndexTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private ChangeLog log;
    private CapturingDatasetGraph dsg;
    private HistoryIndex index;

    private void open(ChangeLogConfig config) {
        log = ChangeLog.open(config);
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve("spill")));
    }

    private ChangeLogConfig config() {
        return ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withFsync(false);
    }

    @AfterEach
    void close() {
        if ( index != null )
            index.close();
        if ( log != null )
            log.close();
    }

    private void caughtUp() throws InterruptedException {
        assertTrue(index.awaitIndexed(log.publishedVersion(), WAIT), "the index reaches version " + log.publishedVersion());
    }

    /** Every subject, and every subject with each predicate and with each graph, in pages of {@code limit}, against a scan of the log. */
    private void assertIndexEqualsScan(int limit) {
        for ( Node s : HistoryFixture.SUBJECTS ) {
            assertEquals(HistoryFixture.scan(log, s, null, null), HistoryFixture.allPages(index, s, null, null, limit), "history of " + s);
            for ( Node p : HistoryFixture.PREDICATES )
                assertEquals(HistoryFixture.scan(log, s, p, null), HistoryFixture.allPages(index, s, p, null, limit), "history of " + s + " " + p);
            for ( Node g : HistoryFixture.GRAPHS )
                assertEquals(HistoryFixture.scan(log, s, null, g), HistoryFixture.allPages(index, s, null, g, limit), "history of " + s + " in " + g);
        }
    }

    @Test
    void lookupsEqualAScanOfTheLogOverARandomWorkloadAcrossPartitions() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(20), 300);
        caughtUp();
        assertTrue(Files.list(log.config().directory().resolve(HistoryIndex.DIR)).filter(p -> p.getFileName().toString().startsWith("p")).count() > 3,
                   "the workload fills several partitions");
        assertIndexEqualsScan(7);
        assertIndexEqualsScan(1000);
        // Predicates or graphs never used: nothing.
        Node s = HistoryFixture.SUBJECTS.get(0);
        assertEquals(List.of(), index.lookup(s, NodeFactory.createURI("http://example/none"), null, 0, Long.MAX_VALUE, 10).changes());
        assertEquals(List.of(), index.lookup(NodeFactory.createURI("http://example/nobody"), null, null, 0, Long.MAX_VALUE, 10).changes());
    }

    @Test
    void aLargeTransactionIsIndexedInBatchesAsOneVersion() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(11), 20);
        int n = VersionEntries.FLUSH_ENTRIES + 5000;    // more distinct (s, p, g) than one batch holds; the patch is read as a stream
        Txn.executeWrite(dsg, () -> {
            for ( int i = 0 ; i < n ; i++ )
                dsg.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI(HistoryFixture.NS + "big/" + i),
                                    HistoryFixture.PREDICATES.get(i % 3), NodeFactory.createLiteralString("x" + i)));
            dsg.add(HistoryFixture.randomQuad(new Random(12)));
        });
        long big = log.publishedVersion();
        assertTrue(log.read(big).payloadLength() > 64 * 1024);
        HistoryFixture.workload(dsg, new Random(13), 20);
        caughtUp();
        for ( int i : new int[] {0, 1, n / 2, n - 1} ) {
            Node s = NodeFactory.createURI(HistoryFixture.NS + "big/" + i);
            assertEquals(List.of(new HistoryIndex.Change(big, 1, 0)), index.lookup(s, null, null, 0, Long.MAX_VALUE, 10).changes(), "subject " + i);
        }
        assertIndexEqualsScan(5);
    }

    @Test
    void anIndexTooFarBehindCatchesUpAfterARestartFromItsCheckpoint() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(1), 80);
        caughtUp();
        index.close();
        HistoryFixture.workload(dsg, new Random(2), 80);    // written while no index runs
        index = HistoryIndex.open(log, 40);
        caughtUp();
        assertIndexEqualsScan(5);
    }

    @Test
    void aDeletedIndexIsRebuiltFromTheLog() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(3), 120);
        caughtUp();
        index.close();
        deleteTree(log.config().directory().resolve(HistoryIndex.DIR));
        index = HistoryIndex.open(log, 40);
        caughtUp();
        assertIndexEqualsScan(5);
    }

    @Test
    void aDamagedIndexFileOrCheckpointFoundAtOpenIsRebuiltFromTheLog() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(4), 120);
        caughtUp();
        index.close();
        flipByteInLargestBucket();
        index = HistoryIndex.open(log, 40);
        caughtUp();
        assertIndexEqualsScan(5);
        index.close();
        Path cp = log.config().directory().resolve(HistoryIndex.DIR).resolve("checkpoint");
        Files.writeString(cp, Files.readString(cp).replaceFirst("version=\\d+", "version=3"));
        index = HistoryIndex.open(log, 40);
        caughtUp();
        assertIndexEqualsScan(5);
    }

    @Test
    void damageFoundByALookupIsReportedAndTheIndexRebuildsItself() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 1_000_000);
        HistoryFixture.workload(dsg, new Random(5), 120);
        caughtUp();
        Path bucket = flipByteInLargestBucket();
        // Damage in the bucket of some subject: find one whose lookup reads it.
        boolean reported = false;
        for ( Node s : HistoryFixture.SUBJECTS ) {
            try {
                index.lookup(s, null, null, 0, Long.MAX_VALUE, 1000);
            } catch (HistoryIndex.DamagedIndexException ex) {
                assertTrue(ex.getMessage().contains("being rebuilt"), ex.getMessage());
                reported = true;
                break;
            }
        }
        assertTrue(reported, "a lookup reading " + bucket + " reports the damage");
        TestSupport.await("the index answers every lookup again, rebuilt", WAIT, this::answersEverySubject);
        caughtUp();
        assertIndexEqualsScan(5);
    }

    private boolean answersEverySubject() {
        try {
            for ( Node s : HistoryFixture.SUBJECTS )
                index.lookup(s, null, null, 0, Long.MAX_VALUE, 1000);
            return true;
        } catch (HistoryIndex.DamagedIndexException ex) {
            return false;
        }
    }

    @Test
    void retentionPrunesWholePartitionsAndLookupsReachOnlyAsFarAsTheLog() throws Exception {
        open(config().withSegmentBytes(2048).withRetention(new Retention(60, null, 0, true)));
        index = HistoryIndex.open(log, 30);
        HistoryFixture.workload(dsg, new Random(6), 400);
        caughtUp();
        assertTrue(log.firstVersion() > 100, "retention removed old versions; oldest is " + log.firstVersion());
        Path dir = log.config().directory().resolve(HistoryIndex.DIR);
        // Pruning runs after each indexing step; a write makes one.
        Txn.executeWrite(dsg, () -> dsg.add(HistoryFixture.randomQuad(new Random(99))));
        caughtUp();
        TestSupport.await("partitions whose versions the log no longer holds pruned", WAIT, () -> oldestPartition(dir) + 200 >= log.firstVersion());
        long partitions;
        try (Stream<Path> s = Files.list(dir)) {
            partitions = s.filter(p -> p.getFileName().toString().startsWith("p")).count();
        }
        assertTrue(partitions < 10, "old partitions were pruned; left " + partitions);
        for ( Node s : HistoryFixture.SUBJECTS ) {
            List<HistoryIndex.Change> changes = HistoryFixture.allPages(index, s, null, null, 4);
            assertEquals(HistoryFixture.scan(log, s, null, null), changes, "history of " + s);
            assertFalse(changes.stream().anyMatch(c -> c.version() < log.firstVersion()), "nothing older than the log");
        }
    }

    @Test
    void aLogStartedAgainIsIndexedAfresh() throws Exception {
        open(config());
        index = HistoryIndex.open(log, 40);
        HistoryFixture.workload(dsg, new Random(7), 60);
        caughtUp();
        index.close();
        log.close();
        // Another log in the same directory (its history differs): the old index must not answer for it.
        deleteTree(tmp.resolve("log").resolve("segments"));
        try (Stream<Path> s = Files.list(tmp.resolve("log"))) {
            for ( Path p : s.toList() )
                if ( !p.getFileName().toString().equals(HistoryIndex.DIR) )
                    deleteTree(p);
        }
        open(config());
        HistoryFixture.workload(dsg, new Random(8), 70);
        index = HistoryIndex.open(log, 40);
        caughtUp();
        assertIndexEqualsScan(5);
    }

    private long oldestPartition(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("p")).mapToLong(n -> Long.parseLong(n.substring(1))).min()
                    .orElse(0);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    private Path flipByteInLargestBucket() throws IOException {
        Path largest;
        try (Stream<Path> s = Files.walk(log.config().directory().resolve(HistoryIndex.DIR))) {
            largest = s.filter(p -> p.getFileName().toString().matches("b\\d\\d")).max((a, b) -> Long.compare(size(a), size(b))).orElseThrow();
        }
        try (FileChannel ch = FileChannel.open(largest, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            long at = ch.size() / 2;
            ch.read(one, at);
            one.put(0, (byte)(one.get(0) ^ 0x5a));
            one.rewind();
            ch.write(one, at);
        }
        return largest;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException ex) {
            return 0;
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if ( !Files.exists(p) )
            return;
        try (Stream<Path> s = Files.walk(p)) {
            for ( Path x : s.sorted(java.util.Comparator.reverseOrder()).toList() )
                Files.delete(x);
        }
    }
}
