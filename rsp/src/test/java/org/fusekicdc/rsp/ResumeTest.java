package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An engine started after {@code replayFrom() - 1}, resumed with the time and event times the
 * first engine had just before that commit, and fed the same commits and time from there makes
 * exactly the steps the first one makes after the point {@code replayFrom} was asked at (the
 * steps up to it being skipped, as a restarted application skips the steps it wrote before):
 * for every window kind and operator, late events and time advancing between commits included.
 */
class ResumeTest {
    private static final List<String> QUERIES = List.of(
        """
        REGISTER ISTREAM <urn:q:time> AS
        SELECT ?sen (COUNT(*) AS ?n) (SUM(?v) AS ?s)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT60S STEP PT20S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } } GROUP BY ?sen
        """,
        """
        REGISTER DSTREAM <urn:q:rooms> AS
        SELECT ?room (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT30S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } ?sen ex:inRoom ?room } GROUP BY ?room
        """,
        """
        REGISTER RSTREAM <urn:q:rows> AS
        SELECT ?o ?v
        FROM NAMED WINDOW <urn:w> ON cdc:added [ROWS 5]
        WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
        """,
        """
        REGISTER ISTREAM <urn:q:session> AS
        SELECT ?sen (MAX(?v) AS ?hi)
        FROM NAMED WINDOW <urn:w> ON cdc:added [SESSION GAP PT15S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } } GROUP BY ?sen
        """,
        """
        REGISTER ISTREAM <urn:q:event-time> AS
        SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?s)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT60S STEP PT30S TIME ex:ts LATENESS PT10S]
        WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
        """);

    @ParameterizedTest
    @ValueSource(longs = { 1, 2, 3 })
    void aResumedEngineMakesTheSameSteps(long seed) {
        Random rnd = new Random(seed);
        TestStream original = new TestStream();
        Map<String, List<String>> steps = new LinkedHashMap<>();
        for ( String q : QUERIES ) {
            ContinuousQuery query = ContinuousQuery.parse(TestStream.PREFIXES + q);
            steps.put(query.name(), new ArrayList<>());
            original.engine().register(query, s -> steps.get(s.query()).add(key(s)));
        }
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Map<Long, Long> timeBefore = new HashMap<>(Map.of(1L, Long.MIN_VALUE));
        Map<Long, Map<String, Long>> eventTimesBefore = new HashMap<>(Map.of(1L, Map.of()));
        original.commit(t0, "ex:s0 ex:inRoom ex:r0 . ex:s1 ex:inRoom ex:r1 . ex:s2 ex:inRoom ex:r0 .");
        Map<Long, Instant> advances = new HashMap<>();
        List<long[]> checkpoints = new ArrayList<>();
        List<Map<String, Integer>> stepsAt = new ArrayList<>();
        long t = t0.toEpochMilli();
        for ( int v = 2; v <= 300; v++ ) {
            // Commit times mostly rising, now and then stamped before the time reached.
            t += 1000L * (rnd.nextInt(8) == 0 ? -5 : 1 + rnd.nextInt(20));
            StringBuilder added = new StringBuilder();
            for ( int i = 0, n = 1 + rnd.nextInt(3); i < n; i++ ) {
                long ts = t - 1000L * rnd.nextInt(rnd.nextInt(4) == 0 ? 40 : 5);
                added.append("ex:o").append(v).append('-').append(i).append(" ex:sensor ex:s").append(rnd.nextInt(3)).append(" ; ex:value ")
                     .append(rnd.nextInt(100)).append(" ; ex:ts \"").append(Instant.ofEpochMilli(ts)).append("\"^^xsd:dateTime .\n");
            }
            if ( rnd.nextInt(6) == 0 )
                added.append("ex:s").append(rnd.nextInt(3)).append(" ex:inRoom ex:r").append(rnd.nextInt(3)).append(" .\n");
            timeBefore.put((long)v, original.engine().time());
            eventTimesBefore.put((long)v, original.engine().eventTimes());
            original.commit(Instant.ofEpochMilli(t), added.toString());
            if ( rnd.nextInt(5) == 0 ) {
                Instant to = Instant.ofEpochMilli(t + rnd.nextInt(40_000));
                original.engine().advanceTo(to);
                advances.put((long)v, to);
            }
            if ( v > 30 && rnd.nextInt(25) == 0 ) {
                checkpoints.add(new long[] { v, original.engine().replayFrom() });
                Map<String, Integer> counts = new HashMap<>();
                steps.forEach((q, s) -> counts.put(q, s.size()));
                stepsAt.add(counts);
            }
        }
        assertTrue(checkpoints.size() >= 4, "checkpoints: " + checkpoints.size());
        for ( int c = 0; c < checkpoints.size(); c++ ) {
            long at = checkpoints.get(c)[0];
            long from = checkpoints.get(c)[1];
            assertTrue(from <= at && at - from < 100, "at version " + at + " the replay starts at version " + from);
            Map<String, List<String>> resumedSteps = new LinkedHashMap<>();
            try (StreamEngine resumed = new StreamEngine("resumed", StreamEngineConfig.DEFAULTS, original.reader())) {
                resumed.startAfter(from - 1);
                for ( String q : QUERIES ) {
                    ContinuousQuery query = ContinuousQuery.parse(TestStream.PREFIXES + q);
                    resumedSteps.put(query.name(), new ArrayList<>());
                    resumed.register(query, s -> resumedSteps.get(s.query()).add(key(s)));
                }
                resumed.resume(timeBefore.get(from), eventTimesBefore.get(from));
                for ( Commit commit : original.commits().subList((int)from - 1, original.commits().size()) ) {
                    resumed.accept(commit);
                    if ( advances.containsKey(commit.version()) )
                        resumed.advanceTo(advances.get(commit.version()));
                }
            }
            for ( String q : steps.keySet() ) {
                List<String> all = steps.get(q);
                List<String> after = all.subList(stepsAt.get(c).get(q), all.size());
                long last = stepsAt.get(c).get(q) == 0 ? Long.MIN_VALUE : number(all.get(stepsAt.get(c).get(q) - 1));
                List<String> made = resumedSteps.get(q).stream().filter(s -> number(s) > last).toList();
                assertEquals(after, made, q + " resumed at version " + from + " for the steps after version " + at);
            }
        }
    }

    private static String key(Step s) {
        return s.number() + " " + s.windowStart() + " " + s.windowEnd() + " " + s.version() + " " + WorkedExamplesTest.rows(s);
    }

    private static long number(String key) {
        return Long.parseLong(key.substring(0, key.indexOf(' ')));
    }
}
