package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Windows whose STEP does not divide their RANGE, so that panes are shorter than a step
 * (several enter and leave at each step): observations written in one commit (one pane),
 * observations completed by a later commit and sensors holding a reading in every commit
 * (spanning panes) aggregate incrementally exactly as re-evaluating the window does.
 */
class PaneTest {
    private static final String QUERY = TestStream.PREFIXES + """
        REGISTER RSTREAM <urn:q> AS
        SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?s) (MIN(?v) AS ?lo) (MAX(?v) AS ?hi) (AVG(?v) AS ?a)
        FROM NAMED WINDOW <urn:w> ON cdc:added WINDOW_SHAPE
        WHERE { WINDOW <urn:w> { ?x ex:reading ?v } }
        """;

    @ParameterizedTest
    @ValueSource(strings = {"[RANGE PT50S STEP PT20S]", "[RANGE PT45S STEP PT30S]", "[RANGE PT1M STEP PT10S]"})
    void panesShorterThanAStepAggregateAsReEvaluationDoes(String shape) {
        TestStream incremental = new TestStream();
        TestStream reevaluated = new TestStream(new StreamEngineConfig(StreamEngineConfig.DEFAULTS.maxWindowQuads(), false));
        List<Step> fast = new ArrayList<>();
        List<Step> slow = new ArrayList<>();
        incremental.engine().register(ContinuousQuery.parse(QUERY.replace("WINDOW_SHAPE", shape)), fast::add);
        reevaluated.engine().register(ContinuousQuery.parse(QUERY.replace("WINDOW_SHAPE", shape)), slow::add);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for ( TestStream s : List.of(incremental, reevaluated) ) {
            for ( int i = 1; i <= 150; i++ ) {
                StringBuilder added = new StringBuilder("ex:o" + i + " ex:reading " + (i % 13) + " . ex:s1 ex:reading " + (i % 7 + 50) + " .");
                if ( i % 5 == 0 )
                    added.append(" ex:o").append(i - 4).append(" ex:reading ").append(i % 11 + 20).append(" .");
                s.commit(t.plusSeconds(3L * i), added.toString());
            }
            s.engine().advanceTo(t.plusSeconds(600));
        }
        assertTrue(incremental.engine().status().get(0).incremental(), "the query runs incrementally");
        assertEquals(slow.size(), fast.size(), "steps");
        assertTrue(fast.size() > 10, "steps: " + fast.size());
        for ( int i = 0; i < fast.size(); i++ ) {
            assertEquals(slow.get(i).number(), fast.get(i).number());
            assertEquals(WorkedExamplesTest.rows(slow.get(i)), WorkedExamplesTest.rows(fast.get(i)), shape + " step " + fast.get(i).number());
        }
    }
}
