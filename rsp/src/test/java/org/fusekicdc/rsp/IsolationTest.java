package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * Moving a query to an engine of its own (what the serving side does with a costly query):
 * the moved query goes on with exactly the steps it would have made where it was, windows
 * shared with other queries included, and the queries left behind are not disturbed.
 */
class IsolationTest {
    private static final String WINDOW = "FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT10S STEP PT2S]\n";
    /** Incremental: a grouped aggregate over a star, state kept per key. */
    private static final String SUMS = "REGISTER RSTREAM <urn:q:sums> AS SELECT ?s (COUNT(*) AS ?n) (SUM(?v) AS ?sum) (MAX(?v) AS ?max)\n" + WINDOW
                                       + "WHERE { WINDOW <urn:w> { ?e ex:sensor ?s ; ex:v ?v } } GROUP BY ?s";
    /** Re-evaluated, with the previous answer kept for ISTREAM; same window content as SUMS, so the two share a store. */
    private static final String NEW_ROWS = "REGISTER ISTREAM <urn:q:new> AS SELECT ?e ?v\n" + WINDOW
                                           + "WHERE { WINDOW <urn:w> { ?e ex:sensor ?s ; ex:v ?v } FILTER (?v > 3) }";
    /** A count window, filled by its query. */
    private static final String LAST = "REGISTER RSTREAM <urn:q:last> AS SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?sum)\n"
                                       + "FROM NAMED WINDOW <urn:c> ON cdc:added [ROWS 7] WHERE { WINDOW <urn:c> { ?e ex:v ?v } }";

    /** A query's steps, each as its number, window, version, operator and rows (sorted). */
    private static List<String> of(List<Step> steps, String query) {
        return steps.stream().filter(s -> s.query().equals(query)).map(s -> {
            List<String> rows = new ArrayList<>();
            if ( s.result() instanceof StepResult.Rows r )
                r.rows().forEach(b -> rows.add(b.toString()));
            rows.sort(null);
            return s.number() + " " + s.windowStart() + ".." + s.windowEnd() + " @" + s.version() + " " + s.operator() + " " + rows;
        }).toList();
    }

    @Test
    void aMovedQueryMakesTheStepsItWouldHaveMadeAndTheOthersGoOnUndisturbed() {
        TestStream reference = new TestStream();
        for ( String q : List.of(SUMS, NEW_ROWS, LAST) )
            reference.register(q);
        StreamEngine shared = new StreamEngine("shared", StreamEngineConfig.DEFAULTS, reference.reader());
        List<Step> steps = new ArrayList<>();
        for ( String q : List.of(SUMS, NEW_ROWS, LAST) )
            shared.register(ContinuousQuery.parse(TestStream.PREFIXES + q), steps::add);
        List<StreamEngine> own = new ArrayList<>();
        Random random = new Random(16);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for ( int i = 0 ; i < 60 ; i++ ) {
            t = t.plusMillis(200 + random.nextInt(900));
            String added = "ex:e" + i + " ex:sensor ex:s" + random.nextInt(3) + " ; ex:v " + random.nextInt(8) + " .";
            String removed = i > 5 && random.nextInt(4) == 0 ? "ex:e" + (i - 5) + " ex:v 1 ." : "";
            Commit c = reference.commit(t, added, removed);
            shared.accept(c);
            own.forEach(e -> e.accept(c));
            if ( i == 20 )
                own.add(shared.isolate("urn:q:sums", "own-sums"));
            if ( i == 35 )
                own.add(shared.isolate("urn:q:last", "own-last"));
            if ( i == 45 )
                own.add(shared.isolate("urn:q:new", "own-new"));
            if ( i % 10 == 9 ) {
                Instant now = t.plusMillis(100);
                reference.engine().advanceTo(now);
                shared.advanceTo(now);
                own.forEach(e -> e.advanceTo(now));
            }
        }
        for ( String q : List.of("urn:q:sums", "urn:q:new", "urn:q:last") ) {
            List<String> expected = of(reference.steps(), q);
            assertFalse(expected.isEmpty(), q);
            assertEquals(expected, of(steps, q), q + ": the same steps, in order, before and after the move");
        }
        assertTrue(shared.status().isEmpty(), "every query has left the shared engine");
        assertEquals(List.of("urn:q:sums", "urn:q:last", "urn:q:new"), own.stream().map(e -> e.status().get(0).query()).toList());
        own.forEach(e -> assertEquals(60, e.version(), "each engine of its own stands at the last commit"));
    }

    @Test
    void onlyARegisteredQueryMoves() {
        StreamEngine e = new TestStream().engine();
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> e.isolate("urn:q:none", "own"));
        assertTrue(ex.getMessage().contains("urn:q:none"), ex.getMessage());
    }

    /**
     * A step that takes longer than the threshold (1 ms here) makes its query costly; the serving
     * side then moves it. The cross join below has 216,000 solutions: far over a millisecond.
     */
    @Test
    void aStepSlowerThanTheThresholdMakesItsQueryCostly() {
        TestStream s = new TestStream(new StreamEngineConfig(1_000_000, true, 1));
        StringBuilder reference = new StringBuilder();
        for ( int i = 0 ; i < 60 ; i++ )
            reference.append("ex:r").append(i).append(" ex:ref ").append(i).append(" .\n");
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, reference.toString());
        s.register("REGISTER RSTREAM <urn:q:costly> AS SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON cdc:added [ROWS 5]"
                   + " WHERE { WINDOW <urn:w> { ?e ex:v ?v } ?a ex:ref ?x . ?b ex:ref ?y . ?c ex:ref ?z }");
        assertTrue(s.engine().costlyQueries().isEmpty(), "no step yet");
        s.commit(t.plusSeconds(1), "ex:e1 ex:v 1 .");
        Map<String, Long> costly = s.engine().costlyQueries();
        assertEquals(List.of("urn:q:costly"), List.copyOf(costly.keySet()));
        assertTrue(costly.get("urn:q:costly") >= 1, costly.toString());
        assertEquals("216000", s.steps().get(0).result() instanceof StepResult.Rows r ? r.rows().get(0).get(org.apache.jena.sparql.core.Var.alloc("n"))
                                                                                             .getLiteralLexicalForm() : null);
    }
}
