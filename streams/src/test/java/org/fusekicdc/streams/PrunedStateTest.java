package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The commits store keeps only what a restart needs: over a long stream it stays bounded, and a
 * processor restarted on stores whose old commits were let go (into the reference-data
 * snapshot) makes exactly the in-server engine's steps, every one compared.
 */
class PrunedStateTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(longs = { 11 })
    void aLongStreamLeavesTheCommitsStoreBounded(long seed) {
        List<ContinuousQuery> queries = Scenario.queries();
        List<Commit> commits = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, Scenario.commits(seed, 800)).commits();
        Map<String, List<String>> expected = Scenario.inServer(commits, queries);
        int most = 0;
        try (ProcessorHarness h = new ProcessorHarness(dir.resolve("state"), queries, ProcessorHarness.COMMITS_ONLY)) {
            for ( Commit c : commits ) {
                h.commit(c);
                if ( c.version() % 5 == 0 ) {
                    h.tick(c.commitTime().toEpochMilli());
                    most = Math.max(most, h.commitsHeld());
                }
            }
            // Every window of the scenario spans at most a few minutes of commits (about 10 s apart).
            assertTrue(most < 100, "the commits store holds at most " + most + " of " + commits.size() + " commits");
            assertEquals(expected, h.steps());
        }
    }

    @ParameterizedTest
    @ValueSource(longs = { 21, 22 })
    void aRestartAfterOldCommitsWereLetGoMakesTheSameSteps(long seed) {
        List<ContinuousQuery> queries = Scenario.queries();
        List<Commit> commits = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, Scenario.commits(seed, 600)).commits();
        Map<String, List<String>> expected = Scenario.inServer(commits, queries);
        Random rnd = new Random(seed);
        int restarts = 0;
        try (ProcessorHarness h = new ProcessorHarness(dir.resolve("state"), queries, ProcessorHarness.COMMITS_ONLY)) {
            for ( Commit c : commits ) {
                h.commit(c);
                if ( rnd.nextInt(7) == 0 )
                    h.tick(c.commitTime().toEpochMilli());
                if ( c.version() > 100 && rnd.nextInt(60) == 0 ) {
                    int held = h.commitsHeld();
                    assertTrue(held < c.version() / 2, "old commits were let go before the restart: " + held + " held at version " + c.version());
                    h.restart();
                    restarts++;
                }
            }
            assertTrue(restarts >= 3, "restarts: " + restarts);
            int compared = 0;
            for ( ContinuousQuery q : queries ) {
                assertEquals(expected.get(q.name()), h.steps().get(q.name()), "the steps of " + q.name());
                compared += expected.get(q.name()).size();
            }
            assertTrue(compared > 500, "steps compared: " + compared);
        }
    }
}
