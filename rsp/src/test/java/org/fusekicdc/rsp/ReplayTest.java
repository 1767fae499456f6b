package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * A restarted engine replays the log from a start position: the steps whose windows the
 * replay covers come out with the same numbers and the same answers, so the serving side can
 * skip the numbers it already delivered.
 */
class ReplayTest {
    private static final String QUERY = TestStream.PREFIXES + """
        REGISTER RSTREAM <urn:q> AS
        SELECT ?room (SUM(?v) AS ?s) (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT20S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } ?sen ex:inRoom ?room }
        GROUP BY ?room
        """;

    @Test
    void aReplayFromTheLogGivesTheSameStepNumbersAndAnswers() {
        TestStream original = new TestStream();
        List<Step> first = new ArrayList<>();
        original.engine().register(ContinuousQuery.parse(QUERY), first::add);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        original.commit(t, "ex:s1 ex:inRoom ex:r1 . ex:s2 ex:inRoom ex:r2 .");
        for ( int i = 1; i <= 40; i++ )
            original.commit(t.plusSeconds(7L * i), "ex:o" + i + " ex:sensor ex:s" + (1 + i % 2) + " ; ex:value " + i + " .");
        original.engine().advanceTo(t.plusSeconds(400));

        // Restart after version 20: replay from there (as the serving side does from the oldest window start).
        long from = 20;
        List<Step> replayed = new ArrayList<>();
        StreamEngine restarted = new StreamEngine("test", StreamEngineConfig.DEFAULTS, original.reader());
        restarted.startAfter(from);
        restarted.register(ContinuousQuery.parse(QUERY), replayed::add);
        for ( Commit c : original.commits() )
            restarted.accept(c);
        restarted.advanceTo(t.plusSeconds(400));

        Instant replayStart = original.commits().get((int)from).commitTime();
        int compared = 0;
        for ( Step r : replayed ) {
            if ( r.windowStart().isBefore(replayStart) )
                continue;
            Step o = first.stream().filter(s -> s.number() == r.number()).findFirst().orElseThrow();
            assertEquals(o.windowEnd(), r.windowEnd());
            assertEquals(o.version(), r.version());
            assertEquals(WorkedExamplesTest.rows(o), WorkedExamplesTest.rows(r));
            compared++;
        }
        assertTrue(compared >= 10, "steps compared: " + compared);
        assertEquals(first.get(first.size() - 1).number(), replayed.get(replayed.size() - 1).number());
    }
}
