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

import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.testing.TestCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The runner with a sink that has several sends in flight: order, exactly once, batching when behind, failures mid-flight. */
class PipelinedSinkRunnerTest {
    private static final SinkConfig FAST = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    @TempDir
    Path tmp;
    @RegisterExtension
    final TestCapture capture = new TestCapture();

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
        capture.commits(200);
        PipelinedSink sink = new PipelinedSink();
        try (SinkRunner runner = new SinkRunner(capture.log(), sink, FAST)) {
            runner.start();
            await(() -> runner.status().cursor() == 200, "caught up");
            capture.commits(20);
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
        capture.commits(150);
        PipelinedSink sink = new PipelinedSink();
        sink.failOnceAt.set(37);
        try (SinkRunner runner = new SinkRunner(capture.log(), sink, FAST)) {
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
        capture.commits(60);
        PipelinedSink sink = new PipelinedSink();
        sink.rejected.add(23L);
        Path dl = tmp.resolve("dead");
        try (SinkRunner runner = new SinkRunner(capture.log(), sink, FAST.withDeadLetterDir(dl))) {
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
        capture.commits(40);
        PipelinedSink sink = new PipelinedSink();
        sink.rejected.add(17L);
        try (SinkRunner runner = new SinkRunner(capture.log(), sink, FAST)) {
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
