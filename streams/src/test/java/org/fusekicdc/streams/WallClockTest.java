package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.StepMessages;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.query.WallClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Time windows close on the wall clock when no commit comes: once the task has read all there
 * is and the window's end is the allowed delay in the past. The steps so made are the in-server
 * engine's advanced to the same times, and a restart makes none of them again.
 */
class WallClockTest {
    private static final WallClock CLOCK = new WallClock(Duration.ofSeconds(1), Duration.ofSeconds(5));

    @TempDir
    Path dir;

    @Test
    void aWindowWhoseEndHasPassedClosesWithoutANewCommit() {
        ContinuousQuery query = ContinuousQuery.parse(Scenario.PREFIXES + """
            REGISTER RSTREAM <urn:q:count> AS
            SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT10S STEP PT10S]
            WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
            """);
        Instant t0 = Instant.parse("2026-03-01T10:00:00Z");
        List<Commit> commits = List.of(new Commit(1, t0.plusSeconds(1), List.of(value("o1", 1)), List.of()),
                                       new Commit(2, t0.plusSeconds(3), List.of(value("o2", 2)), List.of()));
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, commits);
        try (TopologyTestDriver driver = new TopologyTestDriver(ContinuousQueryTopology.build("changes", "steps", List.of(query),
                                                                                              StreamEngineConfig.DEFAULTS, CLOCK),
                                                                TopologyDifferentialTest.properties(dir.resolve("state")), t0.plusSeconds(4))) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            stream.messages(0, 2).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            // The window [t0, t0 + 10 s) ends; until the wall clock is 5 s (the allowed delay) past its end, a commit may still come.
            Instant now = t0.plusSeconds(4);
            while ( now.isBefore(t0.plusSeconds(14)) ) {
                driver.advanceWallClockTime(Duration.ofSeconds(1));
                now = now.plusSeconds(1);
                assertTrue(out.isEmpty(), "no step at " + now);
            }
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            List<TestRecord<String, byte[]>> steps = out.readRecordsToList();
            assertEquals(1, steps.size(), "one window closed at " + now.plusSeconds(1));
            JsonObject step = JSON.parse(new String(steps.get(0).value(), StandardCharsets.UTF_8));
            assertEquals(t0.plusSeconds(10).toString(), step.get("windowEnd").getAsString().value());
            assertEquals("2", step.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray().get(0).getAsObject()
                                  .get("n").getAsObject().get("value").getAsString().value());
            assertEquals(Long.toString(t0.plusSeconds(10).toEpochMilli() / 10_000),
                         TopologyDifferentialTest.header(steps.get(0).headers(), StepMessages.STEP));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = { 31, 32 })
    void stepsMadeByTheWallClockAreTheInServerEnginesAndARestartRepeatsNone(long seed) {
        List<ContinuousQuery> queries = Scenario.queries();
        List<Commit> commits = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, Scenario.commits(seed, 400)).commits();
        Random rnd = new Random(seed);
        Map<Long, List<Instant>> advances = new LinkedHashMap<>();
        long delay = CLOCK.allowedDelay().toMillis();
        try (ProcessorHarness h = new ProcessorHarness(dir.resolve("state"), queries, CLOCK)) {
            for ( Commit c : commits ) {
                h.commit(c);
                if ( rnd.nextInt(6) != 0 )
                    continue;
                // Two ticks: the first after records (the bound is the newest record's time less the delay), the
                // second with none read since (all read: the wall clock less the delay), up to 30 s past the commit,
                // so that the next commits (1 to 20 s apart) are often stamped before the time reached.
                long commitTime = c.commitTime().toEpochMilli();
                long now = commitTime + delay + rnd.nextInt(30_000);
                h.tick(now);
                h.tick(now + 1000);
                List<Instant> times = new ArrayList<>();
                times.add(Instant.ofEpochMilli(commitTime - delay));
                times.add(Instant.ofEpochMilli(now + 1000 - delay));
                advances.put(c.version(), times);
                if ( rnd.nextInt(5) == 0 )
                    h.restart();
            }
            Map<String, List<String>> expected = Scenario.inServer(commits, queries, advances);
            assertNotEquals(Scenario.inServer(commits, queries), expected, "the wall clock changes the steps");
            for ( ContinuousQuery q : queries )
                assertEquals(expected.get(q.name()), h.steps().get(q.name()), "the steps of " + q.name());
        }
    }

    private static Quad value(String o, int v) {
        return Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI(Scenario.EX + o), NodeFactory.createURI(Scenario.EX + "value"),
                           NodeFactory.createLiteralDT(Integer.toString(v), XSDDatatype.XSDinteger));
    }
}
