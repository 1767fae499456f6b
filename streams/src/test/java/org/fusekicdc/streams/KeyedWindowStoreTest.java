package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

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
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.streams.query.KeyedWindowProcessor;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The keyed stage's window store: each commit of a subject is an entry of its own, also two
 * commits in one millisecond, and events no marker deletes leave with the store's retention
 * once the partition's time has passed them (the store stays bounded).
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
    @ValueSource(ints = { 1 })
    void eventsOlderThanTheRetentionLeaveTheStore(int keyPartitions) {
        ContinuousQuery query = ContinuousQuery.parse(QUERY);
        // The quiet dataset's window never closes (no later commit, no wall clock): no marker deletes its event.
        ChangeTopic.Stream quiet = ChangeTopic.publishAll(dir, "quiet", MessageFormats.TEXT, 1 << 20,
            List.of(new Commit(1, T0.plusSeconds(1), List.of(q("o1", "sensor", uri("s1")), q("o1", "value", number(7))), List.of())));
        // The busy dataset, sharing the partition, has a commit a day, its time running past the retention.
        List<Commit> busyCommits = new ArrayList<>();
        for ( int d = 1; d <= 14; d++ )
            busyCommits.add(new Commit(d, T0.plus(Duration.ofDays(d)), List.of(q("b" + d, "sensor", uri("s2")), q("b" + d, "value", number(d))),
                                       List.of()));
        ChangeTopic.Stream busy = ChangeTopic.publishAll(dir, "busy", MessageFormats.TEXT, 1 << 20, busyCommits);
        Duration retention = KeyedWindowProcessor.retention(ContinuousQueryTopology.splitPlans(List.of(query), StreamEngineConfig.DEFAULTS).values());
        assertEquals(Duration.ofHours(2).plus(KeyedWindowProcessor.RETENTION_MARGIN), retention, "RANGE plus STEP, and the margin");
        try (TopologyTestDriver driver = driver(query, keyPartitions)) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("changes", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, byte[]> out = driver.createOutputTopic("steps", new StringDeserializer(), new ByteArrayDeserializer());
            WindowStore<String, byte[]> store = driver.getWindowStore(ContinuousQueryTopology.KEYED_STORE);
            quiet.messages(0, 1).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            busy.messages(0, 2).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            assertEquals(List.of("busy", "quiet"), datasetsHeld(store), "the quiet event, and the busy one of the open window");
            assertTrue(segmentStarts().stream().anyMatch(s -> s <= T0.plusSeconds(1).toEpochMilli()), "a segment holds the quiet event");

            busy.messages(2, busyCommits.size()).forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            // The busy windows' markers deleted the busy events before the last window; the quiet event went with its segment.
            assertEquals(List.of("busy"), datasetsHeld(store));
            List<Long> segments = segmentStarts();
            assertTrue(segments.stream().allMatch(s -> s > T0.plusSeconds(1).toEpochMilli()), "the quiet event's segment is gone: " + segments);
            assertTrue(segments.size() <= 3, "segments on disk: " + segments);
            // The markers' deletes took nothing a later window of the busy dataset needed.
            List<String> busySteps = out.readRecordsToList().stream()
                .filter(r -> TopologyDifferentialTest.header(r.headers(), PatchMessages.DATASET).equals("busy"))
                .map(r -> Scenario.canonical(new String(r.value(), StandardCharsets.UTF_8))).toList();
            assertEquals(Scenario.inServer(busy.commits(), List.of(query)).get(query.name()), busySteps);
        }
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

    /** The start times of the store's segments on disk (a segment is a directory named after the store and its start). */
    private List<Long> segmentStarts() {
        String prefix = ContinuousQueryTopology.KEYED_STORE + ".";
        try (Stream<Path> paths = Files.walk(dir.resolve("state"))) {
            return paths.filter(Files::isDirectory).map(p -> p.getFileName().toString()).filter(n -> n.startsWith(prefix))
                .map(n -> Long.parseLong(n.substring(prefix.length()))).sorted().toList();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
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
