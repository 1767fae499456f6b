package org.fusekicdc.sink.pulsar;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The Pulsar option table of docs/sinks.md is generated from the option declarations; config-examples/pulsar.ttl uses only those. */
class PulsarSinkDocTest {
    @Test
    void theOptionsTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("pulsar", PulsarSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/pulsar -am test -Dtest=PulsarSinkDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("pulsar.ttl", PulsarSinkProvider.TYPE, PulsarSinkConfig.OPTIONS, "url");
    }
}
