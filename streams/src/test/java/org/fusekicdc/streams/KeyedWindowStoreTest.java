package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The keyed stage's window store: each commit of a subject is an entry of its own, also two
 * commits in one millisecond; a dataset whose commit times lag far behind another's in the same
 * partition keeps its events (the store drops nothing by time), and the markers delete what
 * each dataset's windows have passed, events between windows included.
 */
class KeyedWindowStoreTest {
    private static final String QUERY = Scenario.PREFIXES + """
        REGISTER RSTREAM <urn:q:sensor-sums> AS
        SELECT ?sen (COUNT(*) AS ?n) (SUM(?v) AS ?s)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1H STEP PT1H]
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } } GROUP BY ?sen
        """;
    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(ints = { 1, 3 })
    void twoCommitsOfOneSubjectInOneMillisecondBothCount(int keyPartitions) {
        ContinuousQuery query = ContinuousQuery.parse(QUERY);
        Instant t = T0.plusMillis(1234);
        // o1's sensor and value come in two commits of one millisecond; o2 has two values, again in one millisecond.
        List<Commit> commits = List.of(new Commit(1, t, List.of(q("o1", "sensor", uri("s1"))), List.of()),
                                       new Commit(2, t, List.of(q("o1", "value", number(5))), List.of()),
                                       new Commit(3, t.plusMillis(1), List.of(q("o2", "sensor", uri("s1")), q("o2", "value", number(1))), List.of()),
                                       new Commit(4, t.plusMillis(1), List.of(q("o2", "value", number(2))), List.of()),
                                       new Commit(5, T0.plusSeconds(3625), List.of(q("o3", "sensor", uri("s2"))), List.of()));
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, commits);
        List<String> expected = Scenario.inServer(stream.commits(), List.of(query)).get(query.name());
        JsonObject row = JSON.parse(expected.get(0)).get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray().get(0)
            .getAsObject();
        assertEquals("3", row.get("n").getAsObject().get("value").getAsString().value(), "the in-server engine counts o1 once and o2 twice");
        assertEquals("8", row.get("s").getAsObject().get("value").getAsString().value());
        try (TopologyTestDriver driver = driver(query, keyPartitions)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            stream.messages(0, commits.size()).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            List<String> got = out.readRecordsToList().stream().map(r -> Scenario.canonical(new String(r.value(), StandardCharsets.UTF_8))).toList();
            assertEquals(expected, got);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 3 })
    void aDatasetFarBehindAnotherInItsPartitionKeepsItsEvents(int keyPartitions) {
        ContinuousQuery query = ContinuousQuery.parse(QUERY);
        // The busy dataset has a commit a day for two weeks; its markers delete what its windows passed.
        List<Commit> busyCommits = new ArrayList<>();
        for ( int d = 1; d <= 14; d++ )
            busyCommits.add(new Commit(d, T0.plus(Duration.ofDays(d)), List.of(q("b" + d, "sensor", uri("s2")), q("b" + d, "value", number(d))),
                                       List.of()));
        ChangeTopic.Stream busy = ChangeTopic.publishAll(dir, "busy", MessageFormats.TEXT, 1 << 20, busyCommits);
        // The lagging dataset's commits are two weeks older, and reach the keyed stage after the busy ones (a backlog read late).
        ChangeTopic.Stream lagging = ChangeTopic.publishAll(dir, "lagging", MessageFormats.TEXT, 1 << 20,
            List.of(new Commit(1, T0.plusSeconds(1), List.of(q("o1", "sensor", uri("s1")), q("o1", "value", number(7))), List.of()),
                    new Commit(2, T0.plusSeconds(2), List.of(q("o2", "sensor", uri("s1")), q("o2", "value", number(3))), List.of()),
                    new Commit(3, T0.plusSeconds(3625), List.of(q("o3", "sensor", uri("s1")), q("o3", "value", number(1))), List.of())));
        try (TopologyTestDriver driver = driver(query, keyPartitions)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            WindowStore<String, byte[]> store = driver.getWindowStore(ContinuousQueryTopology.KEYED_STORE);
            busy.messages(0, busyCommits.size()).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            lagging.messages(0, 3).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            List<TestRecord<String, byte[]>> steps = out.readRecordsToList();
            assertEquals(Scenario.inServer(lagging.commits(), List.of(query)).get(query.name()), steps(steps, "lagging"),
                         "the lagging dataset's first window counts both its events, two weeks behind the partition's newest commit time");
            assertEquals(Scenario.inServer(busy.commits(), List.of(query)).get(query.name()), steps(steps, "busy"));
            // Each dataset's markers deleted what its windows passed: left, the event of each one's open window.
            assertEquals(List.of("busy", "lagging"), datasetsHeld(store));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = { 1, 3 })
    void eventsBetweenWindowsLeaveTheStore(int keyPartitions) {
        // Half-hour windows every hour: [10:30, 11:00), [11:30, 12:00), ...; 10:00-10:30 and 11:00-11:30 are in none.
        ContinuousQuery query = ContinuousQuery.parse(QUERY.replace("[RANGE PT1H STEP PT1H]", "[RANGE PT30M STEP PT1H]"));
        List<Commit> commits = List.of(new Commit(1, T0.plus(Duration.ofMinutes(10)), List.of(q("o1", "sensor", uri("s1")), q("o1", "value", number(1))), List.of()),
                                       new Commit(2, T0.plus(Duration.ofMinutes(40)), List.of(q("o2", "sensor", uri("s1")), q("o2", "value", number(2))), List.of()),
                                       new Commit(3, T0.plus(Duration.ofMinutes(70)), List.of(q("o3", "sensor", uri("s1")), q("o3", "value", number(3))), List.of()),
                                       new Commit(4, T0.plus(Duration.ofMinutes(160)), List.of(q("o4", "sensor", uri("s1")), q("o4", "value", number(4))), List.of()));
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1 << 20, commits);
        try (TopologyTestDriver driver = driver(query, keyPartitions)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            stream.messages(0, commits.size()).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            assertEquals(Scenario.inServer(stream.commits(), List.of(query)).get(query.name()), steps(out.readRecordsToList(), "ds"));
            // Left: o4, in the open window [12:30, 13:00); o1 and o3, between windows, went with the markers past them.
            assertEquals(List.of("ds"), datasetsHeld(driver.getWindowStore(ContinuousQueryTopology.KEYED_STORE)));
        }
    }

    /** The steps of one dataset, canonical. */
    private static List<String> steps(List<TestRecord<String, byte[]>> records, String dataset) {
        return records.stream().filter(r -> TopologyDifferentialTest.header(r.headers(), PatchMessages.DATASET).equals(dataset))
            .map(r -> Scenario.canonical(new String(r.value(), StandardCharsets.UTF_8))).toList();
    }

    private TopologyTestDriver driver(ContinuousQuery query, int keyPartitions) {
        return new TopologyTestDriver(ContinuousQueryTopology.build("changes", "steps", List.of(query), StreamEngineConfig.DEFAULTS,
                                                                    ProcessorHarness.COMMITS_ONLY, keyPartitions),
                                      TopologyDifferentialTest.properties(dir.resolve("state")));
    }

    /** The dataset of each event the store holds (its key: NUL dataset NUL query NUL subject NUL version), sorted. */
    private static List<String> datasetsHeld(WindowStore<String, byte[]> store) {
        Map<String, List<String>> byDataset = new LinkedHashMap<>();
        try (KeyValueIterator<Windowed<String>, byte[]> it = store.all()) {
            while ( it.hasNext() ) {
                KeyValue<Windowed<String>, byte[]> kv = it.next();
                String ds = kv.key.key().substring(1).split("\u0000")[0];
                byDataset.computeIfAbsent(ds, k -> new ArrayList<>()).add(kv.key.key());
            }
        }
        List<String> out = new ArrayList<>();
        byDataset.forEach((ds, keys) -> keys.forEach(k -> out.add(ds)));
        return out.stream().sorted().toList();
    }

    private static Quad q(String s, String p, org.apache.jena.graph.Node o) {
        return Quad.create(Quad.defaultGraphIRI, uri(s), uri(p), o);
    }

    private static org.apache.jena.graph.Node uri(String local) {
        return NodeFactory.createURI(Scenario.EX + local);
    }

    private static org.apache.jena.graph.Node number(int v) {
        return NodeFactory.createLiteralDT(Integer.toString(v), XSDDatatype.XSDinteger);
    }
}
