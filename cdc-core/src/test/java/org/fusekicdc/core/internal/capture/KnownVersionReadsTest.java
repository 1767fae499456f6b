package org.fusekicdc.core.internal.capture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.metrics.CdcObserver;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A read at a known version shows exactly the version it returns, also when it begins while a
 * store commit is under way: before the store's commit point (TDB2: the version before, at once),
 * after it and before the publish (the new version, once published), on a store that does not
 * say which state a read sees (Jena's in-memory dataset: after the publish).
 */
class KnownVersionReadsTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Node S = NodeFactory.createURI("http://example/s");
    private static final Node P = NodeFactory.createURI("http://example/p");
    private static final Node FILLER = NodeFactory.createURI("http://example/filler");
    // Quads each transaction adds besides its one, so that a store commit takes a while.
    private static final int FILLERS = 50;

    @TempDir
    Path tmp;

    private ChangeLog log;
    private DatasetGraph tdb2;
    private final HeldCommits held = new HeldCommits();
    private final AtomicInteger waits = new AtomicInteger();
    private final AtomicInteger duringCommits = new AtomicInteger();

    @AfterEach
    void close() {
        held.release();
        if ( log != null )
            log.close();
        if ( tdb2 != null )
            TDBInternal.expel(tdb2);
    }

    static Stream<Arguments> stores() {
        return Stream.of(Arguments.of("TIM"), Arguments.of("TDB2"));
    }

    private DatasetGraph store(String store) {
        if ( store.equals("TDB2") ) {
            tdb2 = TDB2Factory.connectDataset(tmp.resolve("tdb2").toString()).asDatasetGraph();
            return tdb2;
        }
        return DatasetGraphFactory.createTxnMem();
    }

    private ChangeLog openLog() {
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        log.observe(new CdcObserver() {
            @Override
            public void knownVersionRead(long openNanos, boolean duringCommit, boolean waited) {
                if ( waited )
                    waits.incrementAndGet();
                if ( duringCommit )
                    duringCommits.incrementAndGet();
            }
        });
        return log;
    }

    private CapturingDatasetGraph capture(String store) {
        DatasetGraph base = store(store);
        return CapturingDatasetGraph.create(base, openLog(), CaptureConfig.defaults(tmp.resolve("spill")));
    }

    /** One write transaction through the commit protocol, adding the value; {@code beforeStoreCommit} runs as the store's commit starts. */
    private static void commitOne(CommitProtocol protocol, DatasetGraph store, long value, Runnable beforeStoreCommit) {
        store.begin(TxnType.WRITE);
        try {
            store.add(Quad.defaultGraphIRI, S, P, value(value));
            protocol.commit(null, (m, out) -> out.write(("A <http://example/s> <http://example/p> " + value + " .\n").getBytes(StandardCharsets.UTF_8)),
                            () -> {
                                beforeStoreCommit.run();
                                store.commit();
                            }, store::abort);
        } finally {
            store.end();
        }
    }

    private static Node value(long value) {
        return NodeFactory.createLiteralDT(Long.toString(value), XSDDatatype.XSDinteger);
    }

    /** A read at a known version of {@code store} on another thread; its result is the version and the quads it showed. */
    private static CompletableFuture<long[]> readOnAnotherThread(CommitProtocol protocol, DatasetGraph store) {
        return readOnAnotherThread(store, () -> protocol.beginReadAtKnownVersion(store));
    }

    /** Version v holds v quads in the default graph (each transaction adds one), and filler in a named graph. */
    private static void addOne(DatasetGraph dsg, long value, int filler) {
        Txn.executeWrite(dsg, () -> {
            dsg.add(Quad.defaultGraphIRI, S, P, value(value));
            for ( int i = 0 ; i < filler ; i++ )
                dsg.add(FILLER, S, P, NodeFactory.createLiteralDT(value + "-" + i, XSDDatatype.XSDstring));
        });
    }

    /** Begin a read at a known version on another thread; its result is the version and the quads it showed. */
    private static CompletableFuture<long[]> readOnAnotherThread(CapturingDatasetGraph dsg) {
        return readOnAnotherThread(dsg, dsg::beginReadAtKnownVersion);
    }

    private static CompletableFuture<long[]> readOnAnotherThread(DatasetGraph dsg, LongSupplier beginRead) {
        CompletableFuture<long[]> read = new CompletableFuture<>();
        Thread.ofPlatform().name("reader").start(() -> {
            try {
                long v = beginRead.getAsLong();
                long size;
                try {
                    size = dsg.getDefaultGraph().size();
                } finally {
                    dsg.end();
                }
                read.complete(new long[] {v, size});
            } catch (Throwable ex) {
                read.completeExceptionally(ex);
            }
        });
        return read;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void everyReadShowsTheVersionItReturnsWhileManyCommitsRun(String store) throws Exception {
        CapturingDatasetGraph dsg = capture(store);
        int writers = 2, commitsEach = 30;
        AtomicLong values = new AtomicLong();
        AtomicBoolean writing = new AtomicBoolean(true);
        Queue<String> wrong = new ConcurrentLinkedQueue<>();
        AtomicInteger reads = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        List<Thread> writerThreads = new ArrayList<>();
        for ( int w = 0 ; w < writers ; w++ ) {
            writerThreads.add(Thread.ofPlatform().name("writer-" + w).start(() -> {
                for ( int i = 0 ; i < commitsEach ; i++ )
                    addOne(dsg, values.incrementAndGet(), FILLERS);
            }));
        }
        for ( int r = 0 ; r < 2 ; r++ ) {
            threads.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                long last = 0;
                while ( writing.get() ) {
                    long v = dsg.beginReadAtKnownVersion();
                    try {
                        long size = dsg.getDefaultGraph().size();
                        long filler = dsg.getGraph(FILLER).size();
                        if ( size != v || filler != FILLERS * v || v < last || v > log.publishedVersion() )
                            wrong.add("read at version " + v + " (after " + last + ", published " + log.publishedVersion() + ") shows " + size
                                      + " quads and " + filler + " filler");
                        last = v;
                    } finally {
                        dsg.end();
                    }
                    reads.incrementAndGet();
                }
            }));
        }
        for ( Thread t : writerThreads )
            t.join();
        writing.set(false);
        for ( Thread t : threads )
            t.join();
        assertEquals(0, wrong.size(), () -> wrong.size() + " wrong reads, the first: " + wrong.stream().limit(5).toList());
        assertEquals(writers * commitsEach, log.publishedVersion());
        assertTrue(reads.get() > 0);
        if ( store.equals("TDB2") )
            assertTrue(duringCommits.get() > 0, "no read was placed during a commit, of " + reads.get());
    }

    @Test
    void aReadBegunDuringATdb2CommitShowsTheVersionBeforeItWithoutWaiting() throws Exception {
        DatasetGraph store = store("TDB2");
        CommitProtocol protocol = CommitProtocol.open(store, LogWriter.claim(openLog()));
        Thread writer = commitVersion1ThenHoldVersion2(protocol, store);
        // The store's commit has started and is held before its commit point.
        long[] read = readOnAnotherThread(protocol, store).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(1, read[0], "version");
        assertEquals(1, read[1], "quads shown");
        assertEquals(0, waits.get(), "reads that waited");
        held.release();
        writer.join();
        long[] after = readOnAnotherThread(protocol, store).get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(2, after[0], "version");
        assertEquals(2, after[1], "quads shown");
    }

    @Test
    void aReadBegunDuringAnInMemoryCommitWaitsForItsPublish() throws Exception {
        DatasetGraph store = store("TIM");
        CommitProtocol protocol = CommitProtocol.open(store, LogWriter.claim(openLog()));
        Thread writer = commitVersion1ThenHoldVersion2(protocol, store);
        assertWaitsForVersion2(readOnAnotherThread(protocol, store), held::release, writer);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("stores")
    void aReadThatSeesACommitNotYetPublishedWaitsForThePublish(String store) throws Exception {
        CapturingDatasetGraph dsg = capture(store);
        addOne(dsg, 1, 0);
        // Held after the store's commit returned and the record was published, before readers are told.
        CountDownLatch afterPublish = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        log.addPublishListener(() -> {
            if ( log.publishedVersion() == 2 ) {
                afterPublish.countDown();
                awaitQuietly(release);
            }
        });
        Thread writer = Thread.ofPlatform().start(() -> addOne(dsg, 2, 0));
        assertTrue(afterPublish.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertWaitsForVersion2(readOnAnotherThread(dsg), release::countDown, writer);
    }

    /** Commit version 1, then start the commit of version 2 on another thread and return once it is held before the store's commit. */
    private Thread commitVersion1ThenHoldVersion2(CommitProtocol protocol, DatasetGraph store) throws InterruptedException {
        commitOne(protocol, store, 1, () -> {});
        Thread writer = Thread.ofPlatform().start(() -> commitOne(protocol, store, 2, held::hold));
        held.awaitHeld();
        return writer;
    }

    /** The read waits while the commit of version 2 is held; once {@code release}d, it shows version 2. */
    private void assertWaitsForVersion2(CompletableFuture<long[]> read, Runnable release, Thread writer) throws Exception {
        TestSupport.await("the reader waits", TIMEOUT, () -> waitingReader() || read.isDone());
        assertFalse(read.isDone(), "the read did not wait");
        release.run();
        writer.join();
        long[] shown = read.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        assertEquals(2, shown[0], "version");
        assertEquals(2, shown[1], "quads shown");
        assertEquals(1, waits.get(), "reads that waited");
    }

    /** Whether the thread named "reader" is parked in its wait. */
    private static boolean waitingReader() {
        return Thread.getAllStackTraces().keySet().stream()
                     .anyMatch(t -> t.getName().equals("reader") && t.getState() == Thread.State.TIMED_WAITING);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    /** Holds a store's commit before it reaches the store, until released. */
    private static final class HeldCommits {
        private final CountDownLatch held = new CountDownLatch(1);
        private final CountDownLatch release = new CountDownLatch(1);

        void hold() {
            held.countDown();
            awaitQuietly(release);
        }

        void awaitHeld() throws InterruptedException {
            assertTrue(held.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS), "the commit was not held");
        }

        void release() {
            release.countDown();
        }
    }
}
