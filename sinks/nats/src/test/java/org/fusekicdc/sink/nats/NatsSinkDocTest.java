package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The NATS option table of docs/sinks.md is generated from the option declarations; config-examples/nats.ttl uses only those. */
class NatsSinkDocTest {
    @Test
    void theOptionsTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("nats", NatsSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/nats -am test -Dtest=NatsSinkDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("nats.ttl", NatsSinkProvider.TYPE, NatsSinkConfig.OPTIONS, "url");
    }

    @Test
    void theCloudEventsExampleIsAValidSink() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("cloudevents.ttl", NatsSinkProvider.TYPE, NatsSinkConfig.OPTIONS, "url", "cloudEvents");
        NatsSinkConfig c = NatsSinkConfig.from("ds", new OptionValues("cloudevents", SinkDocChecks.exampleOptions("cloudevents.ttl", NatsSinkProvider.TYPE)),
                                               Map.<String, String>of()::get);
        assertEquals(MessageFormats.JSON, c.messageFormat());
        assertEquals("https://data.example.org/ds", c.cloudEvents().orElseThrow().source());
        assertEquals("org.example.dataset.changed", c.cloudEvents().orElseThrow().type());
    }
}
