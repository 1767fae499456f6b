package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.LongStream;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner with a sink that has several sends in flight: order, exactly once, batching when behind, failures mid-flight. */
class PipelinedSinkRunnerTest {
    private static final SinkConfig FAST = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    @TempDir
    Path tmp;
    ChangeLog log;
    CapturingDatasetGraph dsg;

    @BeforeEach
    void open() {
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds"));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve("spill")));
    }

    @AfterEach
    void close() {
        log.close();
    }

    private void commits(int n) {
        for ( int i = 0 ; i < n ; i++ ) {
            int x = i;
            Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(:g :s :p " + System.nanoTime() + x + ")")));
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for: " + what);
            try {
                Thread.sleep(5);
            } catch (InterruptedException ex) {
                throw new AssertionError(ex);
            }
        }
    }

    /**
     * A destination reached through a pipeline: sends are applied in order by one thread, a
     * little later; each is guarded by the version this sink expects the destination to end
     * with (computed ahead at send time), so nothing is applied after a send that was not. A
     * reopen abandons what was in flight.
     */
    static final class PipelinedSink implements Sink {
        final List<Long> destination = Collections.synchronizedList(new ArrayList<>());
        final List<Integer> sendSizes = Collections.synchronizedList(new ArrayList<>());
        final Set<Long> rejected = ConcurrentHashMap.newKeySet();
        final AtomicLong failOnceAt = new AtomicLong(-1);
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        final AtomicInteger opens = new AtomicInteger();
        private final ExecutorService broker = Executors.newSingleThreadExecutor();
        private volatile int generation;
        private long sentUpTo;

        @Override
        public String name() {
            return "pipelined";
        }

        @Override
        public long open() {
            opens.incrementAndGet();
            generation++;
            synchronized (destination) {
                sentUpTo = destination.isEmpty() ? 0 : destination.getLast();
            }
            return sentUpTo;
        }

        @Override
        public int maxInFlight() {
            return 4;
        }

        @Override
        public int maxBatch() {
            return 10;
        }

        @Override
        public void deliver(PatchRecord patch) throws SinkException {
            // Already there (taken before a refused patch of the same send): as real sinks do, by the version they know is there.
            if ( patch.version() <= sentUpTo )
                return;
            long before = sentUpTo;
            try {
                send(List.of(patch)).await();
            } catch (SinkException ex) {
                // Waited for: the sink knows the destination did not move on.
                sentUpTo = before;
                throw ex;
            }
        }

        @Override
        public Delivery send(List<PatchRecord> patches) {
            List<Long> versions = patches.stream().map(PatchRecord::version).toList();
            sendSizes.add(versions.size());
            maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            int gen = generation;
            long expected = sentUpTo;
            sentUpTo = versions.getLast();
            Future<?> f = broker.submit(() -> {
                Thread.sleep(2);
                long prev = expected;
                for ( long v : versions ) {
                    synchronized (destination) {
                        long last = destination.isEmpty() ? 0 : destination.getLast();
                        if ( gen != generation )
                            throw SinkException.transientFailure("connection closed", null);
                        if ( last != prev )
                            throw SinkException.transientFailure("version " + v + " expected the destination to end at " + prev + ", not " + last, null);
                        if ( rejected.contains(v) )
                            throw SinkException.permanentFailure("version " + v + " refused", null);
                        if ( failOnceAt.compareAndSet(v, -1) )
                            throw SinkException.transientFailure("connection cut at version " + v, null);
                        destination.add(v);
                    }
                    prev = v;
                }
                return null;
            });
            return () -> {
                try {
                    f.get(30, TimeUnit.SECONDS);
                } catch (ExecutionException ex) {
                    SinkException failure = (SinkException)ex.getCause();
                    if ( failure.permanent() ) {
                        // Refused: forget what was sent after it (those sends fail), as the destination took none of it.
                        generation++;
                        synchronized (destination) {
                            sentUpTo = destination.isEmpty() ? 0 : destination.getLast();
                        }
                    }
                    throw failure;
                } catch (Exception ex) {
                    throw SinkException.transientFailure("no acknowledgement: " + ex, ex);
                } finally {
                    outstanding.decrementAndGet();
                }
            };
        }

        @Override
        public void close() {
            generation++;
        }

        void shutdown() {
            broker.shutdownNow();
        }
    }

    @Test
    void aSinkThatIsBehindGetsBatchesWithSeveralInFlightAndEachVersionOnceInOrder() {
        commits(200);
        PipelinedSink sink = new PipelinedSink();
        try (SinkRunner runner = new SinkRunner(log, sink, FAST)) {
            runner.start();
            await(() -> runner.status().cursor() == 200, "caught up");
            commits(20);
            await(() -> runner.status().cursor() == 220, "caught up again");
        } finally {
            sink.shutdown();
        }
        assertEquals(LongStream.rangeClosed(1, 220).boxed().toList(), sink.destination);
        assertTrue(sink.maxOutstanding.get() > 1, "several sends in flight: " + sink.maxOutstanding.get());
        assertTrue(sink.sendSizes.stream().anyMatch(n -> n == 10), "batches of up to maxBatch when behind: " + sink.sendSizes);
        assertTrue(sink.sendSizes.stream().allMatch(n -> n <= 10), "never more than maxBatch: " + sink.sendSizes);
    }

    @Test
    void aConnectionCutWithSeveralSendsInFlightLosesAndRepeatsNothing() {
        commits(150);
        PipelinedSink sink = new PipelinedSink();
        sink.failOnceAt.set(37);
        try (SinkRunner runner = new SinkRunner(log, sink, FAST)) {
            runner.start();
            await(() -> runner.status().cursor() == 150, "caught up");
            assertEquals(SinkState.RUNNING, runner.status().state());
        } finally {
            sink.shutdown();
        }
        assertEquals(LongStream.rangeClosed(1, 150).boxed().toList(), sink.destination, "each version once, in order");
        assertTrue(sink.opens.get() >= 2, "reopened after the failure: " + sink.opens.get());
        assertEquals(-1, sink.failOnceAt.get(), "the failure happened");
    }

    @Test
    void aRefusedPatchInAPipelinedBatchIsFoundOneAtATimeAndDeadLettered() throws Exception {
        commits(60);
        PipelinedSink sink = new PipelinedSink();
        sink.rejected.add(23L);
        Path dl = tmp.resolve("dead");
        try (SinkRunner runner = new SinkRunner(log, sink, FAST.withDeadLetterDir(dl))) {
            runner.start();
            await(() -> runner.status().cursor() == 60, "caught up");
            assertEquals(1, runner.status().deadLettered());
        } finally {
            sink.shutdown();
        }
        List<Long> expected = new ArrayList<>(LongStream.rangeClosed(1, 60).boxed().toList());
        expected.remove(Long.valueOf(23));
        assertEquals(expected, sink.destination, "each version once, in order, but the refused one");
        assertTrue(Files.exists(dl.resolve("pipelined").resolve("23.rdfp")));
    }

    @Test
    void aRefusedPatchWithoutDeadLetterDirectoryPausesTheSinkAtThatVersion() {
        commits(40);
        PipelinedSink sink = new PipelinedSink();
        sink.rejected.add(17L);
        try (SinkRunner runner = new SinkRunner(log, sink, FAST)) {
            runner.start();
            await(() -> runner.status().state() == SinkState.PAUSED, "paused");
            assertEquals(16, runner.status().cursor());
            assertTrue(runner.status().lastError().startsWith("version 17 "), runner.status().lastError());
            sink.rejected.clear();
            runner.resume();
            await(() -> runner.status().cursor() == 40, "caught up after the resume");
        } finally {
            sink.shutdown();
        }
        assertEquals(LongStream.rangeClosed(1, 40).boxed().toList(), sink.destination);
    }
}
