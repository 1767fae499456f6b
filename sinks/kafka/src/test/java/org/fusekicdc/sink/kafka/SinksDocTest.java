package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.DocSnippets;
import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.fusekicdc.core.wire.MessageFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * docs/sinks.md's Kafka option table is generated from the sink's option declarations, and its
 * consumer examples are the code {@link KafkaSinkIT} runs.
 */
class SinksDocTest {
    @ParameterizedTest
    @ValueSource(strings = { "reader", "consumer" })
    void consumerExamplesAreTheTestedCode(String name) throws IOException {
        DocSnippets.check("docs/sinks.md", Path.of("src/test/java/org/fusekicdc/sink/kafka/ConsumerSnippets.java"), name);
    }

    @Test
    void theKafkaOptionTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("kafka", KafkaSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/kafka -am test -Dtest=SinksDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theJsonEventsExampleIsAValidSink() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("json-events.ttl", "KafkaSink", KafkaSinkConfig.OPTIONS, "bootstrapServers", "format");
        KafkaSinkConfig c = KafkaSinkConfig.parse("ds", new OptionValues("events", SinkDocChecks.exampleOptions("json-events.ttl", "KafkaSink")));
        assertEquals(MessageFormats.JSON, c.messageFormat());
        assertTrue(c.cloudEvents().isEmpty());
    }
}
