package org.fusekicdc.sink.nats;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
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
}
