package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Subjects with many values in a window (a sensor as the subject of its readings, thirty in a
 * window, equal values entering again) aggregate incrementally exactly as re-evaluating the
 * window does, step by step.
 */
class BusySubjectTest {
    private static final String QUERY = TestStream.PREFIXES + """
        REGISTER RSTREAM <urn:q> AS
        SELECT ?room (COUNT(*) AS ?n) (SUM(?v) AS ?s) (MIN(?v) AS ?lo) (MAX(?v) AS ?hi)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT10S]
        WHERE { WINDOW <urn:w> { ?sen ex:reading ?v } ?sen ex:inRoom ?room }
        GROUP BY ?room
        """;

    @Test
    void aSubjectWithManyValuesInTheWindowAggregatesAsReEvaluationDoes() {
        TestStream incremental = new TestStream();
        TestStream reevaluated = new TestStream(new StreamEngineConfig(StreamEngineConfig.DEFAULTS.maxWindowQuads(), false));
        List<Step> fast = new ArrayList<>();
        List<Step> slow = new ArrayList<>();
        incremental.engine().register(ContinuousQuery.parse(QUERY), fast::add);
        reevaluated.engine().register(ContinuousQuery.parse(QUERY), slow::add);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        for ( TestStream s : List.of(incremental, reevaluated) ) {
            s.commit(t, "ex:s1 ex:inRoom ex:r1 . ex:s2 ex:inRoom ex:r1 . ex:s3 ex:inRoom ex:r2 .");
            for ( int i = 1; i <= 120; i++ ) {
                // s1 and s2 hold their latest reading only, and their values repeat (i % 17): an equal
                // reading enters the window while the one before is still in it. s3 keeps every reading.
                String readings = "ex:s1 ex:reading " + (i % 17) + " . ex:s2 ex:reading " + (i % 17 + 100) + " . ex:s3 ex:reading " + i + " .";
                String previous = i == 1 ? "" : "ex:s1 ex:reading " + ((i - 1) % 17) + " . ex:s2 ex:reading " + ((i - 1) % 17 + 100) + " .";
                s.commit(t.plusSeconds(2L * i), readings, previous);
            }
            s.engine().advanceTo(t.plusSeconds(400));
        }
        assertTrue(incremental.engine().status().get(0).incremental(), "the query runs incrementally");
        assertEquals(slow.size(), fast.size(), "steps");
        assertTrue(fast.size() > 20, "steps: " + fast.size());
        for ( int i = 0; i < fast.size(); i++ ) {
            assertEquals(slow.get(i).number(), fast.get(i).number());
            assertEquals(WorkedExamplesTest.rows(slow.get(i)), WorkedExamplesTest.rows(fast.get(i)), "step " + fast.get(i).number());
        }
    }
}
