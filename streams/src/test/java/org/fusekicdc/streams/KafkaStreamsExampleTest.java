package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.sse.SSE;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.fusekicdc.core.testing.DocSnippets;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.streams.patch.ChangePatch;
import org.fusekicdc.streams.patch.PatchReassembly;
import org.fusekicdc.streams.serde.QuadEvent;
import org.fusekicdc.streams.serde.QuadEventSerde;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The example of docs/kafka-streams.md is this code, and it does what the page says. */
class KafkaStreamsExampleTest {
    @TempDir
    Path dir;

    /** The page's example: the quads each commit added, one record per quad, from a change topic whose large patches come in parts. */
    static Topology addedQuads() {
        // snippet:added-quads
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("fuseki-cdc.ds", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
               .process(PatchReassembly.supplier("patch-parts"))          // whole patches, in order, once each
               .flatMapValues(ChangePatch::events)                        // one QuadEvent per quad removed or added
               .filter((dataset, event) -> event.change() == QuadEvent.Change.ADDED)
               .to("ds-added", Produced.with(Serdes.String(), new QuadEventSerde()));
        Topology topology = builder.build();
        // end-snippet
        return topology;
    }

    @Test
    void theExampleHandsOnEachAddedQuadOnceWithItsVersion() {
        Quad kept = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> \"kept\")");
        Quad gone = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> \"gone\")");
        Instant t1 = Instant.parse("2026-05-01T08:00:00Z");
        Instant t2 = Instant.parse("2026-05-01T08:00:05Z");
        try (ChangeTopic topic = new ChangeTopic(dir, "ds", MessageFormats.TEXT, 1024);
             TopologyTestDriver driver = new TopologyTestDriver(addedQuads(), TopologyDifferentialTest.properties(dir.resolve("state")))) {
            TestInputTopic<String, byte[]> in = driver.createInputTopic("fuseki-cdc.ds", new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, QuadEvent> out = driver.createOutputTopic("ds-added", new StringDeserializer(), new QuadEventSerde().deserializer());
            List<Quad> many = new ArrayList<>();
            for ( int i = 0; i < 60; i++ )
                many.add(SSE.parseQuad("(_ <http://ex/s" + i + "> <http://ex/p> \"a value long enough to need a few parts " + i + "\")"));
            for ( Commit c : List.of(new Commit(1, t1, many, List.of()), new Commit(2, t2, List.of(kept, gone), List.of()),
                                     new Commit(3, t2, List.of(), List.of(gone))) )
                topic.publish(c).messages().forEach(m -> in.pipeInput(TopologyDifferentialTest.record(m)));
            List<QuadEvent> events = out.readValuesToList();
            assertEquals(62, events.size(), "60 quads of version 1 (sent in parts), 2 of version 2, none of version 3 (a removal)");
            assertEquals(new QuadEvent("ds", 2, t2, QuadEvent.Change.ADDED, Quad.create(Quad.defaultGraphIRI, kept.asTriple())), events.get(60));
        }
    }

    @Test
    void thePageShowsThisCode() throws Exception {
        DocSnippets.check("docs/kafka-streams.md", Path.of("src/test/java/org/fusekicdc/streams/KafkaStreamsExampleTest.java"), "added-quads");
    }
}
