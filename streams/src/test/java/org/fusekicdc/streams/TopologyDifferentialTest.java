package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.jena.atlas.json.JSON;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.StepMessages;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.query.WallClock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The topology gives every step the in-server engine gives, and no other: one query set and
 * one change stream (written by a real change log and cut into messages as the Kafka sink cuts
 * them, large patches in parts) through both, each query's steps compared one by one. With key
 * partitions, the grouped aggregates are split by key (events by subject through the keyed
 * topic, parts per partition, steps assembled) and must still give exactly the same steps.
 */
class TopologyDifferentialTest {
    @TempDir
    Path dir;

    /** Grouped aggregates of other shapes, split by key too: two key variables, MIN/MAX/SUM with a filter, DSTREAM with HAVING over enrichment, cdc:version in the star. */
    static final List<String> SPLIT_QUERIES = List.of(
        """
        REGISTER RSTREAM <urn:q:sensor-extremes> AS
        SELECT ?sen ?k (MIN(?v) AS ?lo) (MAX(?v) AS ?hi) (SUM(?v) AS ?s) (COUNT(?v) AS ?c)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT45S STEP PT15S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:kind ?k ; ex:value ?v FILTER(?v > 20) } } GROUP BY ?sen ?k
        """,
        """
        REGISTER DSTREAM <urn:q:busy-rooms-gone> AS
        SELECT ?room (COUNT(*) AS ?n) (MAX(?ver) AS ?last)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT40S STEP PT20S]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; cdc:version ?ver } ?sen ex:inRoom ?room } GROUP BY ?room HAVING (COUNT(*) > 2)
        """);

    /** The queries of the scenario and those above; the names of those the topology splits by key. */
    static List<ContinuousQuery> queries() {
        List<ContinuousQuery> out = new ArrayList<>(Scenario.queries());
        SPLIT_QUERIES.forEach(q -> out.add(ContinuousQuery.parse(Scenario.PREFIXES + q)));
        return out;
    }

    @ParameterizedTest
    @CsvSource({ "1, text, 0", "2, binary, 0", "1, text, 3", "2, binary, 4", "3, text, 1" })
    void everyStepEqualsTheInServerEngine(long seed, String format, int keyPartitions) {
        List<ContinuousQuery> queries = queries();
        if ( keyPartitions > 0 )
            assertEquals(List.of("urn:q:room-average", "urn:q:busy-sensors", "urn:q:removed-values", "urn:q:sensor-extremes", "urn:q:busy-rooms-gone"),
                         List.copyOf(ContinuousQueryTopology.splitPlans(queries, StreamEngineConfig.DEFAULTS).keySet()),
                         "the grouped aggregates over a star in one commit-time window are split; sessions, event time, CONSTRUCT and ASK are not");
        MessageFormat f = MessageFormats.byName(format);
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", f, 1024, Scenario.commits(seed, 150));
        List<Commit> logged = stream.commits();
        List<List<ChangeTopic.Message>> patches = stream.patches();
        assertTrue(patches.stream().anyMatch(p -> p.size() > 1), "some patches are split into parts");
        Map<String, List<String>> expected = Scenario.inServer(logged, queries);

        Map<String, List<String>> got = new LinkedHashMap<>();
        queries.forEach(q -> got.put(q.name(), new ArrayList<>()));
        Topology topology = ContinuousQueryTopology.build("changes", "steps", queries, StreamEngineConfig.DEFAULTS, WallClock.DEFAULTS, keyPartitions);
        assertEquals(keyPartitions > 0, topology.describe().toString().contains(ContinuousQueryTopology.KEYED_TOPIC + "-repartition"),
                     "split queries go through the keyed topic: " + topology.describe());
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, properties(dir.resolve("state")))) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            for ( int i = 0; i < patches.size(); i++ ) {
                patches.get(i).forEach(m -> in.pipeInput(record(m)));
                // A publisher that restarted sends a patch again: the copy must change nothing.
                if ( i % 10 == 7 )
                    patches.get(i).forEach(m -> in.pipeInput(record(m)));
            }
            Map<String, Long> positions = new LinkedHashMap<>();
            Map<String, Long> lastStep = new LinkedHashMap<>();
            for ( TestRecord<String, byte[]> r : out.readRecordsToList() ) {
                String query = header(r.headers(), StepMessages.QUERY);
                assertEquals(query, r.key(), "steps are keyed by query");
                String json = new String(r.value(), StandardCharsets.UTF_8);
                assertEquals(JSON.parse(json).get("step").getAsNumber().value().toString(), header(r.headers(), StepMessages.STEP),
                             "cdc-step is the step's number: " + json);
                long position = positions.merge(query, 1L, Long::sum);
                long number = Long.parseLong(header(r.headers(), StepMessages.STEP));
                assertTrue(number > lastStep.getOrDefault(query, Long.MIN_VALUE), "steps in order: " + query + " step " + number);
                lastStep.put(query, number);
                assertEquals(Long.toString(position), header(r.headers(), PatchMessages.VERSION), "cdc-version counts the query's steps");
                got.get(query).add(Scenario.canonical(json));
            }
        }
        int compared = 0;
        for ( ContinuousQuery q : queries ) {
            assertTrue(expected.get(q.name()).size() > 10, "the in-server engine makes steps of " + q.name());
            assertEquals(expected.get(q.name()), got.get(q.name()), "the steps of " + q.name());
            compared += expected.get(q.name()).size();
        }
        assertTrue(compared > 200, "enough steps compared: " + compared);
    }

    static Properties properties(Path stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "differential");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        return p;
    }

    static TestRecord<String, byte[]> record(ChangeTopic.Message m) {
        Headers h = new RecordHeaders();
        m.headers().forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return new TestRecord<>(m.key(), m.value(), h, m.timestamp());
    }

    static String header(Headers headers, String name) {
        return new String(headers.lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
