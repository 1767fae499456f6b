package org.fusekicdc.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.apache.jena.query.QueryFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.expr.NodeValue;
import org.apache.jena.sparql.function.FunctionBase1;
import org.apache.jena.sparql.function.FunctionRegistry;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Costly live queries are evaluated apart from cheap ones, within their budgets, and every way a
 * subscription ends (or is never made) leaves the counts exact. Queries are made costly by
 * {@code :gate(row)}, a function that takes 10 ms per call while the gate is shut.
 */
class LiveIsolationTest {
    private static final String PREFIX = LiveTesting.PREFIX;
    private static final String CHEAP = PREFIX + "SELECT ?o { :cheap :p ?o }";
    private static final String COSTLY = PREFIX + "SELECT (COUNT(*) AS ?n) { ?s :row ?o FILTER(:gate(?o)) }";
    private static volatile boolean shut;
    private static final AtomicLong gateCalls = new AtomicLong();

    /** {@code :gate(row)}: true, after 10 ms while the gate is shut. */
    public static final class Gate extends FunctionBase1 {
        @Override
        public NodeValue exec(NodeValue row) {
            gateCalls.incrementAndGet();
            if ( shut ) {
                try {
                    Thread.sleep(10);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            return NodeValue.TRUE;
        }
    }

    @TempDir
    Path tmp;
    ChangeLog log;
    CapturingDatasetGraph dsg;
    LiveQueryEngine engine;
    TestClock clock;

    @BeforeAll
    static void registerGate() {
        FunctionRegistry.get().put("http://example/gate", Gate.class);
    }

    @BeforeEach
    void open() {
        shut = false;
        clock = new TestClock();
        log = ChangeLog.open(ChangeLogConfig.defaults(tmp.resolve("log"), "ds").withFsync(false).withClock(clock));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(tmp.resolve("spill")));
        StringBuilder rows = new StringBuilder("INSERT DATA {");
        for ( int i = 0 ; i < 2000 ; i++ )
            rows.append(" :r").append(i).append(" :row ").append(i).append(" .");
        update(rows.append(" }").toString());
        engine = engine(Duration.ofSeconds(30));
    }

    private LiveQueryEngine engine(Duration queryTimeout) {
        return new LiveQueryEngine(dsg, new LiveConfig(100, 10, 100_000, queryTimeout, 10_000, 100, Duration.ofMillis(50), 1, 100));
    }

    @AfterEach
    void close() {
        shut = false;
        engine.close();
        log.close();
    }

    private void update(String u) {
        LiveTesting.update(dsg, u);
    }

    private static LiveEvent next(Subscription s) throws InterruptedException {
        return LiveTesting.next(s);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        TestSupport.await(what, Duration.ofSeconds(20), condition);
    }

    /**
     * The gate's call count once it has not changed for five polls (100 ms): a call under way when
     * the query was dropped still finishes, and the evaluation notices the abort at its next row.
     * An evaluation that goes on calls the gate every 10 ms and never settles.
     */
    private static long settledGateCalls() throws InterruptedException {
        long[] last = { -1 };
        int[] unchanged = { 0 };
        await(() -> {
            long now = gateCalls.get();
            unchanged[0] = now == last[0] ? unchanged[0] + 1 : 0;
            last[0] = now;
            return unchanged[0] >= 5;
        }, "the gate called no more");
        return last[0];
    }

    private void assertCounts(int total, String client) {
        assertEquals(total, engine.subscriptionCount(), "open subscriptions");
        assertEquals(total, engine.subscriptions().size(), "subscriptions listed");
        assertEquals(total, engine.placesHeld(), "places held");
        assertEquals(total, engine.placesHeld(client), "places held by " + client);
    }

    @Test
    void cheapSubscriptionsAreNotifiedWhileACostlyQueryIsEvaluated() throws Exception {
        Subscription cheap = engine.subscribe(CHEAP, "c", -1);
        next(cheap);
        shut = true;  // 2,000 calls of 10 ms: 20 s unless the gate opens
        CompletableFuture<Subscription> costly = engine.subscribeAsync(COSTLY, "c", -1, LiveView.ALL);
        for ( int i = 1 ; i <= 3 ; i++ ) {
            update("INSERT DATA { :cheap :p " + i + " }");
            LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, next(cheap));
            assertEquals(log.publishedVersion(), u.version());
            assertFalse(costly.isDone(), "the costly query's first answer is still being evaluated");
        }
        shut = false;
        Subscription s = costly.get(20, TimeUnit.SECONDS);
        LiveEvent.Initial first = assertInstanceOf(LiveEvent.Initial.class, next(s));
        assertEquals(2000, first.result().rows().keySet().iterator().next().get("n").getLiteralValue());
        update("INSERT DATA { :cheap :p 9 . :extra :row 1 }");
        long v = log.publishedVersion();
        assertEquals(v, assertInstanceOf(LiveEvent.Update.class, next(cheap)).version());
        LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, next(s));
        assertEquals(v, u.version(), "the costly query's update names the version it was computed at");
        assertEquals(2001, u.delta().additions().get(0).get("n").getLiteralValue());
        assertCounts(2, "c");
    }

    @Test
    void aQueryThatTurnsCostlyIsHandedOverAndKeepsItsOrder() throws Exception {
        Subscription s = engine.subscribe(COSTLY, "c", -1);
        assertInstanceOf(LiveEvent.Initial.class, next(s));
        shut = true;
        update("INSERT DATA { :a :row 1 }");
        update("INSERT DATA { :b :row 1 }");
        shut = false;
        update("INSERT DATA { :c :row 1 }");
        long last = -1;
        int n = 2000;
        while ( n < 2003 ) {
            LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, next(s));
            assertTrue(u.version() > last, "versions increase");
            last = u.version();
            n = ((Number)u.delta().additions().get(0).get("n").getLiteralValue()).intValue();
        }
        assertEquals(log.publishedVersion(), last);
        // Each commit is one more evaluation, which may find the query cheap again (under half the threshold) and send it back.
        for ( int i = 4 ; s.group.costly && i < 50 ; i++ ) {
            update("INSERT DATA { :d" + i + " :row 1 }");
            LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, next(s));
            assertEquals(log.publishedVersion(), u.version());
            assertEquals(2000 + i, u.delta().additions().get(0).get("n").getLiteralValue());
        }
        assertFalse(s.group.costly, "measured cheap again, the query is back on the engine's thread");
        assertEquals(0, engine.costlyQueryCount());
        update("INSERT DATA { :e :row 1 }");
        LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, next(s));
        assertEquals(log.publishedVersion(), u.version(), "and it is followed there, in order");
    }

    @Test
    void aQueryOverItsTimeBudgetIsRefusedOrEndedNamingTheOption() throws Exception {
        engine.close();
        engine = engine(Duration.ofSeconds(1));
        shut = true;
        LiveQueryException ex = assertThrows(LiveQueryException.class, () -> engine.subscribe(COSTLY, "c", -1));
        assertEquals(LiveQueryException.Kind.TOO_EXPENSIVE, ex.kind());
        assertTrue(ex.getMessage().contains("cdc:liveQueryTimeoutSeconds"), ex.getMessage());
        assertCounts(0, "c");

        shut = false;
        Subscription s = engine.subscribe(COSTLY, "c", -1);
        next(s);
        assertCounts(1, "c");
        shut = true;
        update("INSERT DATA { :a :row 1 }");
        LiveEvent.Error err = assertInstanceOf(LiveEvent.Error.class, next(s));
        assertTrue(err.message().contains("cdc:liveQueryTimeoutSeconds"), err.message());
        assertTrue(s.isClosed());
        assertCounts(0, "c");
        assertEquals(0, engine.queryCount());
        s.close();
        assertCounts(0, "c");
    }

    @Test
    void aCostlyThreadRestsByTheLogsClockAfterEachEvaluation() throws Exception {
        engine.close();
        // Busy at most 1% of the time: each evaluation (30 gate calls of 10 ms) is followed by a rest of about 30 s.
        engine = new LiveQueryEngine(dsg, new LiveConfig(100, 10, 100_000, Duration.ofSeconds(30), 10_000, 100, Duration.ofMillis(50), 1, 1));
        shut = true;
        Subscription s = engine.subscribe(PREFIX + "SELECT (COUNT(*) AS ?n) { ?s :row ?o FILTER(?o < 30 && :gate(?o)) }", "c", -1);
        assertInstanceOf(LiveEvent.Initial.class, next(s));
        assertEquals(1, engine.costlyQueryCount());
        update("INSERT DATA { :extra :row 0 }");
        // The update waits for the rest to end; only moving the clock ends it within the 20 s allowed here.
        List<LiveEvent> events = new ArrayList<>();
        clock.advanceUntil(Duration.ofSeconds(10), "the update after the rest", () -> {
            LiveEvent e = s.next();
            if ( e != null )
                events.add(e);
            return !events.isEmpty();
        });
        assertInstanceOf(LiveEvent.Update.class, events.get(0));
    }

    @Test
    void aQueryOverTheRowLimitIsRefusedAsTooExpensive() {
        engine.close();
        engine = new LiveQueryEngine(dsg, new LiveConfig(100, 10, 10, Duration.ofSeconds(30), 10_000, 100, Duration.ofMillis(50), 1, 100));
        LiveQueryException ex = assertThrows(LiveQueryException.class, () -> engine.subscribe(PREFIX + "SELECT * { ?s :row ?o }", "c", -1));
        assertEquals(LiveQueryException.Kind.TOO_EXPENSIVE, ex.kind());
        assertTrue(ex.getMessage().contains("cdc:liveMaxResultRows"), ex.getMessage());
        assertCounts(0, "c");
    }

    @Test
    void anAbandonedRequestIsNeverRegisteredAndItsEvaluationIsAborted() throws Exception {
        shut = true;
        CompletableFuture<Subscription> f = engine.subscribeAsync(COSTLY, "c", -1, LiveView.ALL);
        await(() -> gateCalls.get() > 0 && engine.queryCount() == 1, "the costly evaluation under way");
        assertTrue(engine.subscriptions().isEmpty(), "nothing registered yet");
        assertEquals(1, engine.placesHeld("c"), "the request holds a place");
        f.cancel(false);
        assertEquals(0, engine.placesHeld("c"), "given back at once");
        await(() -> engine.queryCount() == 0, "the query dropped");
        long calls = settledGateCalls();
        Thread.sleep(300);
        assertEquals(calls, gateCalls.get(), "the evaluation was aborted");
        shut = false;
        update("INSERT DATA { :a :row 1 }");
        Subscription other = engine.subscribe(CHEAP, "c", -1);
        next(other);
        assertCounts(1, "c");
        assertTrue(f.isCancelled());
    }

    @Test
    void everyWayASubscriptionEndsGivesItsPlaceBack() throws Exception {
        Subscription a = engine.subscribe(CHEAP, "c", -1);
        Subscription b = engine.subscribe(PREFIX + "SELECT ?s { ?s :row 1 }", "c", -1);
        assertCounts(2, "c");
        a.close();
        a.close();
        await(() -> engine.subscriptionCount() == 1, "unsubscribed");
        assertCounts(1, "c");
        assertTrue(engine.close(b.id()), "closed by an administrator");
        await(() -> engine.subscriptionCount() == 0, "closed");
        assertCounts(0, "c");
        assertFalse(engine.close(b.id()));
        for ( int i = 0 ; i < 10 ; i++ )
            engine.subscribe(CHEAP, "c", -1);
        assertEquals(LiveQueryException.Kind.TOO_MANY_FOR_CLIENT, assertThrows(LiveQueryException.class, () -> engine.subscribe(CHEAP, "c", -1)).kind());
        assertCounts(10, "c");
    }

    @Test
    void stoppingTheServerEndsSubscriptionsAndRequestsAndGivesEveryPlaceBack() throws Exception {
        Subscription s = engine.subscribe(CHEAP, "c", -1);
        next(s);
        shut = true;
        CompletableFuture<Subscription> pending = engine.subscribeAsync(COSTLY, "c", -1, LiveView.ALL);
        await(() -> gateCalls.get() > 0 && engine.queryCount() == 2, "the costly evaluation under way");
        engine.close();
        LiveEvent.Error err = assertInstanceOf(LiveEvent.Error.class, next(s));
        assertTrue(err.message().contains("stopping"), err.message());
        LiveQueryException ex = assertInstanceOf(LiveQueryException.class, assertThrows(CompletionException.class, pending::join).getCause());
        assertEquals(LiveQueryException.Kind.BUSY, ex.kind());
        assertCounts(0, "c");
        assertEquals(LiveQueryException.Kind.BUSY, assertThrows(LiveQueryException.class, () -> engine.subscribe(CHEAP, "c", -1)).kind());
    }

    @Test
    void fromAndFromNamedAreRefusedRatherThanIgnored() {
        LiveQueryException ex = assertThrows(LiveQueryException.class,
                                             () -> engine.subscribe(PREFIX + "SELECT * FROM :g { ?s ?p ?o }", "c", -1));
        assertEquals(LiveQueryException.Kind.BAD_QUERY, ex.kind());
        assertTrue(ex.getMessage().contains("FROM"), ex.getMessage());
        assertCounts(0, "c");
    }

    /**
     * Random writes against queries of which some turn costly as their answers grow ({@code :slow(row)}
     * then takes 5 ms per row over a 50 ms threshold): the answers accumulated from the events
     * equal a fresh evaluation, and each subscription's versions increase.
     */
    @Test
    void answersStayExactWhenQueriesMoveToTheCostlyThreads() throws Exception {
        FunctionRegistry.get().put("http://example/slow", SlowRow.class);
        List<String> shapes = List.of(
            "SELECT ?s ?o { ?s :p ?o FILTER(:slow(?o)) }",
            "SELECT ?s (COUNT(?o) AS ?c) { ?s :p ?o FILTER(:slow(?o)) } GROUP BY ?s",
            "SELECT ?s ?o { ?s :q ?o }",
            "SELECT DISTINCT ?s { ?s :p ?o . ?o :q ?x FILTER(:slow(?o)) }",
            "ASK { :n1 :p ?o FILTER(:slow(?o)) }");
        Map<String, Subscription> subs = new LinkedHashMap<>();
        Map<String, LiveResult> accumulated = new HashMap<>();
        Map<String, Long> versions = new HashMap<>();
        for ( String shape : shapes )
            subs.put(shape, engine.subscribe(PREFIX + shape, "c", -1));
        for ( String shape : shapes ) {
            LiveResult r = assertInstanceOf(LiveEvent.Initial.class, next(subs.get(shape))).result();
            accumulated.put(shape, r);
            versions.put(shape, r.version());
        }
        boolean someCostly = false;
        Random random = new Random(11);
        String[] nodes = {":n1", ":n2", ":n3", ":n4", ":n5", ":n6"};
        for ( int round = 0 ; round < 25 ; round++ ) {
            for ( int c = 0 ; c < 1 + random.nextInt(3) ; c++ ) {
                String t = nodes[random.nextInt(6)] + (random.nextBoolean() ? " :p " : " :q ") + nodes[random.nextInt(6)];
                update((random.nextInt(3) == 0 ? "DELETE DATA { " : "INSERT DATA { ") + t + " }");
            }
            for ( String shape : shapes ) {
                Map<Binding, Integer> fresh = fresh(shape);
                Boolean freshAsk = shape.startsWith("ASK") ? fresh.size() > 0 : null;
                Subscription s = subs.get(shape);
                await(() -> {
                    LiveEvent e;
                    while ( (e = s.next()) != null ) {
                        LiveEvent.Update u = assertInstanceOf(LiveEvent.Update.class, e);
                        assertTrue(u.version() > versions.get(shape), "versions increase: " + shape);
                        versions.put(shape, u.version());
                        accumulated.put(shape, accumulated.get(shape).apply(u.delta()));
                    }
                    LiveResult r = accumulated.get(shape);
                    return freshAsk != null ? freshAsk.equals(r.ask()) : fresh.equals(r.rows());
                }, "round " + round + ": " + shape + " answers as a fresh evaluation");
            }
            someCostly |= subs.values().stream().anyMatch(s -> s.group.costly);
        }
        assertTrue(someCostly, "some queries moved to the costly threads");
    }

    private Map<Binding, Integer> fresh(String shape) {
        Map<Binding, Integer> m = new HashMap<>();
        var q = QueryFactory.create(PREFIX + shape.replace("FILTER(:slow(?o))", ""));
        Txn.executeRead(dsg, () -> {
            try (QueryExec qe = QueryExec.dataset(dsg).query(q).build()) {
                if ( q.isAskType() ) {
                    if ( qe.ask() )
                        m.put(Binding.noParent, 1);
                    return;
                }
                qe.select().forEachRemaining(b -> m.merge(Evaluator.project(b, q.getProjectVars()), 1, Integer::sum));
            }
        });
        return m;
    }

    /** {@code :slow(row)}: true after 5 ms. */
    public static final class SlowRow extends FunctionBase1 {
        @Override
        public NodeValue exec(NodeValue row) {
            try {
                Thread.sleep(5);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            return NodeValue.TRUE;
        }
    }
}
