package org.fusekicdc.core.testing.contract;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkProvider;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.SinkOutage;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What every sink must do, against its real destination: one suite that each sink's test
 * extends ({@code KafkaSinkContractIT}, ...), providing only what differs per destination (see
 * "Writing a sink" in {@code docs/sinks.md}). A clause a destination cannot keep is opted out
 * of explicitly, with the reason, in {@link #optOuts()}; the suite reports it as an aborted test
 * naming the clause and the reason, never as a pass.
 * <p>
 * JUnit makes a new instance per test, so a subclass can pick a fresh destination (topic,
 * subject, stream key, endpoint) in a field initialiser.
 */
public abstract class SinkContract {
    /** The sink's name in every clause. */
    public static final String SINK = "contract";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    /** The clauses of the contract, each one test. */
    public enum Clause {
        ONCE_IN_ORDER, ONCE_ACROSS_RESTART, ONCE_ACROSS_KILL, OUTAGE, IN_FLIGHT_FAILURE, OVERSIZED_PATCH, PAUSE_RESUME_REWIND, WRONG_CREDENTIALS,
        DEAD_LETTER
    }

    /** What a sink does with a patch larger than one message of its destination. */
    public enum OversizeRule {
        /** Sent in several messages and reassembled by the reader. */
        SPLIT,
        /** Refused: the sink pauses naming the version (or dead-letters it, see {@link Clause#DEAD_LETTER}). */
        REFUSE
    }

    /** One patch as the destination holds it, reassembled when it was split. */
    public record Delivered(long version, RDFPatch patch) {}

    @TempDir
    protected Path dir;

    /** Creates the sinks, as the server does. */
    protected abstract SinkProvider provider();

    /** Options of a sink that delivers to this test's destination. */
    protected abstract Map<String, String> options();

    /** Everything the destination holds for dataset {@value ContractStore#DATASET}, in the order a consumer reads it. */
    protected abstract List<Delivered> read() throws Exception;

    /** Take the destination away (stop the broker or the receiver), for {@link Clause#OUTAGE} and {@link Clause#IN_FLIGHT_FAILURE}. */
    protected void stopDestination() throws Exception {
        throw notProvided("stopDestination", Clause.OUTAGE);
    }

    /** Bring the destination back where it was, for {@link Clause#OUTAGE} and {@link Clause#IN_FLIGHT_FAILURE}. */
    protected void startDestination() throws Exception {
        throw notProvided("startDestination", Clause.OUTAGE);
    }

    /**
     * The writer's pause between transactions in {@link Clause#OUTAGE}: a pace the sink must
     * follow, and catch up with after the outage. A destination that takes one record at a
     * time to keep its order (Kinesis) asks for a slower one.
     */
    protected Duration outageWriterPause() {
        return SinkOutage.WRITER_PAUSE;
    }

    /** Options whose credentials the destination refuses, for {@link Clause#WRONG_CREDENTIALS}. */
    protected WrongCredentials wrongCredentials() throws Exception {
        throw notProvided("wrongCredentials", Clause.WRONG_CREDENTIALS);
    }

    /**
     * Options with wrong credentials, the option the error must name, the state the sink must
     * end in, and the secret the error must not show.
     */
    public record WrongCredentials(Map<String, String> options, String option, SinkState state, String secret) {}

    /**
     * The sink's rule for a patch larger than {@code maxBytes}, and {@link #options()} changed so
     * that the destination or the sink limits one message to about {@code maxBytes}; for
     * {@link Clause#OVERSIZED_PATCH}.
     */
    protected Oversize oversize(int maxBytes) throws Exception {
        throw notProvided("oversize", Clause.OVERSIZED_PATCH);
    }

    /** A sink's rule for oversized patches and the options that set the limit. */
    public record Oversize(OversizeRule rule, Map<String, String> options) {}

    /**
     * Options of a sink whose destination refuses a message over {@code maxBytes} for good (a
     * permanent error, not a retry), once {@link #refuseMessagesOver} has been called; for
     * {@link Clause#DEAD_LETTER}.
     */
    protected Map<String, String> refusingOptions(int maxBytes) throws Exception {
        throw notProvided("refusingOptions", Clause.DEAD_LETTER);
    }

    /**
     * Called once the sink has delivered version 1: make the destination refuse messages over
     * {@code maxBytes} from now on, where {@link #refusingOptions} alone does not (a broker that
     * the sink asks for its limit at start-up, and then splits below it).
     */
    protected void refuseMessagesOver(int maxBytes) throws Exception {}

    private AssertionError notProvided(String method, Clause clause) {
        return new AssertionError(getClass().getSimpleName() + " neither overrides " + method + " nor opts out of " + clause);
    }

    /** Clauses this destination cannot keep, each with the reason (shown in the test report). */
    protected Map<Clause, String> optOuts() {
        return new EnumMap<>(Clause.class);
    }

    private void clause(Clause clause) {
        String reason = optOuts().get(clause);
        if ( reason != null ) {
            String message = "OPT-OUT " + getClass().getSimpleName() + " " + clause + ": " + reason;
            System.err.println("*** " + message);
            Assumptions.abort(message);
        }
    }

    private SinkRunner runner(ContractStore store, Map<String, String> options, SinkConfig config) {
        SinkRunner runner = new SinkRunner(store.log, store.sink(provider(), SINK, options), config);
        runner.start();
        return runner;
    }

    private static void awaitCaughtUp(SinkRunner runner, ContractStore store) throws InterruptedException {
        await("sink caught up with version " + store.log.publishedVersion(), WAIT,
              () -> runner.status().cursor() == store.log.publishedVersion());
    }

    private static void write(ContractStore store, Workload workload, int transactions) {
        for ( int i = 0 ; i < transactions ; i++ )
            workload.step(store.dsg);
    }

    /** The destination holds versions 1..n, each once, in order, and replaying them gives the dataset. */
    private void assertOnceInOrder(ContractStore store) throws Exception {
        List<Delivered> held = read();
        long n = store.log.publishedVersion();
        assertEquals(LongStream.rangeClosed(1, n).boxed().toList(), held.stream().map(Delivered::version).toList(),
                     "every version once, in order");
        assertReplaysTo(store, held);
    }

    private static void assertReplaysTo(ContractStore store, List<Delivered> held) {
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        held.forEach(d -> RDFPatchOps.applyChange(replay, d.patch()));
        LogReplay.assertSameDataset(store.dsg, replay, "replay of what the destination holds");
    }

    @Test
    void everyVersionIsDeliveredOnceInOrder() throws Exception {
        clause(Clause.ONCE_IN_ORDER);
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store")); SinkRunner runner = runner(store, options(), FAST_RETRY)) {
            write(store, new Workload(1, "once"), 60);
            awaitCaughtUp(runner, store);
            assertEquals(SinkState.RUNNING, runner.status().state());
            assertOnceInOrder(store);
        }
    }

    @Test
    void aCleanRestartDeliversEachVersionOnce() throws Exception {
        clause(Clause.ONCE_ACROSS_RESTART);
        Workload workload = new Workload(2, "restart");
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store"))) {
            try (SinkRunner runner = runner(store, options(), FAST_RETRY)) {
                write(store, workload, 30);
                awaitCaughtUp(runner, store);
                write(store, workload, 30);   // some of these are delivered before the stop, some after the restart
            }
            write(store, workload, 10);
            try (SinkRunner runner = runner(store, options(), FAST_RETRY)) {
                awaitCaughtUp(runner, store);
            }
            assertOnceInOrder(store);
        }
    }

    @Test
    void killedWhilePublishingEachVersionEndsUpOnceInOrder() throws Exception {
        clause(Clause.ONCE_ACROSS_KILL);
        Path storeDir = dir.resolve("store");
        List<Long> readyVersions = KillRounds.run(3, storeDir, provider().getClass(), options());
        // Start-up after the last kill, here: recovery, then the sink catches up.
        try (ContractStore store = ContractStore.open(storeDir); SinkRunner runner = runner(store, options(), FAST_RETRY)) {
            awaitCaughtUp(runner, store);
            assertTrue(store.log.publishedVersion() > readyVersions.get(readyVersions.size() - 1), "the children wrote: " + readyVersions);
            assertOnceInOrder(store);
            LogReplay.assertLogReproduces(store.log, store.dsg);
        }
    }

    @Test
    void aDestinationOutageIsRetriedAndLosesOrRepeatsNothing() throws Exception {
        clause(Clause.OUTAGE);
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store"));
             SinkRunner runner = new SinkRunner(store.log, store.sink(provider(), SINK, options()), FAST_RETRY)) {
            SinkOutage.Outage o = SinkOutage.run(store.dsg, store.log, runner, new Workload(3, "outage"), Duration.ofMillis(1500),
                                                 outageWriterPause(), this::stopDestination, this::startDestination);
            assertTrue(o.errorDuringOutage().startsWith("version "), "the error names the version: " + o.errorDuringOutage());
            assertOnceInOrder(store);
        }
    }

    /**
     * Counts the sends outstanding at once, and sends at most {@value #IN_FLIGHT_BATCH} patches
     * each, so that a backlog is spread over as many sends in flight as the sink allows.
     */
    private static final class InFlightCounter implements Sink {
        private final Sink sink;
        final AtomicInteger outstanding = new AtomicInteger();
        final AtomicInteger maxOutstanding = new AtomicInteger();
        volatile int window;

        InFlightCounter(Sink sink) {
            this.sink = sink;
        }

        @Override
        public String name() {
            return sink.name();
        }

        @Override
        public long open() throws SinkException {
            outstanding.set(0);
            long there = sink.open();
            window = sink.maxInFlight();
            return there;
        }

        @Override
        public void deliver(PatchRecord patch) throws SinkException {
            sink.deliver(patch);
        }

        @Override
        public int maxBatch() {
            return Math.min(IN_FLIGHT_BATCH, sink.maxBatch());
        }

        @Override
        public void deliver(List<PatchRecord> patches) throws SinkException {
            sink.deliver(patches);
        }

        @Override
        public int maxInFlight() {
            return sink.maxInFlight();
        }

        @Override
        public Delivery send(List<PatchRecord> patches) throws SinkException {
            Delivery d = sink.send(patches);
            maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
            return () -> {
                try {
                    d.await();
                } finally {
                    outstanding.decrementAndGet();
                }
            };
        }

        @Override
        public void close() {
            sink.close();
        }
    }

    private static final int IN_FLIGHT_BATCH = 3;

    /**
     * A backlog delivered with several sends in flight (as many as the sink allows), and the
     * destination taken away while they are: first killed for a while (the sink retries), then
     * cut and back at once (connections drop, the server returns before the retry). Each
     * version ends up there once, in order.
     */
    @Test
    void aFailureWithSeveralPatchesInFlightDeliversEachVersionOnceInOrder() throws Exception {
        clause(Clause.IN_FLIGHT_FAILURE);
        Workload workload = new Workload(8, "in-flight");
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store"))) {
            write(store, workload, 400);
            InFlightCounter sink = new InFlightCounter(store.sink(provider(), SINK, options()));
            try (SinkRunner runner = new SinkRunner(store.log, sink, FAST_RETRY)) {
                runner.start();
                await("30 versions delivered", WAIT, () -> runner.status().cursor() >= 30);
                stopDestination();
                try {
                    // More to send, so that a sink that had already delivered the backlog fails too.
                    write(store, workload, 200);
                    await("sink retrying", WAIT, () -> runner.status().state() == SinkState.RETRYING);
                } finally {
                    startDestination();
                }
                await("more delivered after the outage", WAIT, () -> runner.status().cursor() >= 300);
                // Cut: the destination goes and comes back at once, with sends in flight.
                long before = runner.status().cursor();
                stopDestination();
                startDestination();
                write(store, workload, 100);
                awaitCaughtUp(runner, store);
                assertTrue(runner.status().cursor() > before);
                assertEquals(SinkState.RUNNING, runner.status().state());
            }
            if ( sink.window > 1 )
                assertTrue(sink.maxOutstanding.get() > 1, "sends in flight at once: " + sink.maxOutstanding.get() + " (the sink allows " + sink.window + ")");
            assertOnceInOrder(store);
        }
    }

    @Test
    void anOversizedPatchIsSplitOrRefusedByTheSinksRule() throws Exception {
        clause(Clause.OVERSIZED_PATCH);
        Oversize oversize = oversize(2048);
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store")); SinkRunner runner = runner(store, oversize.options(), FAST_RETRY)) {
            Workload workload = new Workload(4, "oversize");
            write(store, workload, 1);
            store.writeLarge("big", 200);   // about 16 KB
            write(store, workload, 1);
            if ( oversize.rule() == OversizeRule.SPLIT ) {
                awaitCaughtUp(runner, store);
                assertOnceInOrder(store);
                return;
            }
            await("sink paused", WAIT, () -> runner.status().state() == SinkState.PAUSED);
            SinkStatus st = runner.status();
            assertTrue(st.lastError().startsWith("version 2 "), "the error names the version: " + st.lastError());
            assertEquals(1, st.cursor(), "nothing after the refused patch is delivered");
            assertEquals(List.of(1L), read().stream().map(Delivered::version).toList());
        }
    }

    @Test
    void pauseResumeAndRewindKeepTheOrder() throws Exception {
        clause(Clause.PAUSE_RESUME_REWIND);
        Workload workload = new Workload(5, "pause");
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store")); SinkRunner runner = runner(store, options(), FAST_RETRY)) {
            write(store, workload, 10);
            awaitCaughtUp(runner, store);
            runner.pause();
            await("sink paused", WAIT, () -> runner.status().state() == SinkState.PAUSED);
            write(store, workload, 10);
            assertEquals(10, runner.status().cursor(), "a paused sink delivers nothing");
            assertEquals(10, read().size(), "the destination holds what was delivered before the pause");

            runner.resume();
            awaitCaughtUp(runner, store);
            assertOnceInOrder(store);

            runner.pause();
            await("sink paused", WAIT, () -> runner.status().state() == SinkState.PAUSED);
            runner.rewind(15);
            await("cursor back at 15", WAIT, () -> runner.status().cursor() == 15);
            runner.resume();
            write(store, workload, 5);
            awaitCaughtUp(runner, store);
            // After a rewind the destination may hold versions after the rewind point twice; consumers drop repeats by version.
            List<Delivered> held = read();
            List<Delivered> firstOfEach = new ArrayList<>();
            Set<Long> seen = new LinkedHashSet<>();
            for ( Delivered d : held ) {
                if ( seen.add(d.version()) )
                    firstOfEach.add(d);
                else
                    assertTrue(d.version() > 15, "only versions after the rewind point are repeated: " + d.version());
            }
            assertEquals(LongStream.rangeClosed(1, store.log.publishedVersion()).boxed().toList(), List.copyOf(seen), "in order");
            assertReplaysTo(store, firstOfEach);
        }
    }

    @Test
    void wrongCredentialsStopTheSinkNamingTheOption() throws Exception {
        clause(Clause.WRONG_CREDENTIALS);
        WrongCredentials wrong = wrongCredentials();
        Path deadLetters = dir.resolve("dead-letters");
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store"));
             SinkRunner runner = runner(store, wrong.options(), FAST_RETRY.withDeadLetterDir(deadLetters))) {
            write(store, new Workload(6, "credentials"), 3);
            await("sink " + wrong.state(), WAIT, () -> runner.status().state() == wrong.state());
            SinkStatus st = runner.status();
            assertNotNull(st.lastError());
            assertTrue(st.lastError().contains(wrong.option()), "the error names " + wrong.option() + ": " + st.lastError());
            assertFalse(st.lastError().contains(wrong.secret()), "the error must not show the secret: " + st.lastError());
            assertEquals(0, st.cursor(), "nothing is delivered");
            assertEquals(0, st.deadLettered(), "every patch would fail alike: none is set aside");
        }
        assertFalse(Files.exists(deadLetters.resolve(SINK)), "nothing in the dead-letter directory");
    }

    @Test
    void anUndeliverablePatchGoesToTheDeadLetterDirectoryAndDeliveryContinues() throws Exception {
        clause(Clause.DEAD_LETTER);
        Path deadLetters = dir.resolve("dead-letters");
        try (ContractStore store = ContractStore.inMemory(dir.resolve("store"));
             SinkRunner runner = runner(store, refusingOptions(2048), FAST_RETRY.withDeadLetterDir(deadLetters))) {
            Workload workload = new Workload(7, "dead-letter");
            write(store, workload, 1);
            await("version 1 delivered", WAIT, () -> runner.status().cursor() == 1);
            refuseMessagesOver(2048);
            store.writeLarge("big", 200);
            write(store, workload, 2);
            awaitCaughtUp(runner, store);
            SinkStatus st = runner.status();
            assertEquals(SinkState.RUNNING, st.state());
            assertEquals(1, st.deadLettered());
            assertTrue(st.lastError().contains("version 2 sent to the dead-letter directory"), st.lastError());
            assertEquals(List.of(1L, 3L, 4L), read().stream().map(Delivered::version).toList());
            Path patch = deadLetters.resolve(SINK).resolve("2.rdfp");
            assertTrue(Files.exists(patch), "dead-lettered patch in " + patch);
            assertEquals("2", RDFPatchOps.read(Files.newInputStream(patch)).getHeader("version").getLiteralLexicalForm());
            assertTrue(Files.exists(deadLetters.resolve(SINK).resolve("2.reason.txt")), "the reason is kept beside it");
        }
    }
}
