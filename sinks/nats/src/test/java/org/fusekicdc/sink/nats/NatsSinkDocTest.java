package org.fusekicdc.sink.nats;

import java.io.IOException;

import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The NATS section of docs/sinks.md lists exactly the options the code knows; config-examples/nats.ttl uses only those. */
class NatsSinkDocTest {
    @Test
    void theOptionsTableMatchesTheCode() throws IOException {
        SinkDocChecks.optionsTableMatches("## NATS JetStream: `cdc:NatsSink`", "NATS", NatsSinkConfig.OPTIONS);
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("nats.ttl", NatsSinkProvider.TYPE, NatsSinkConfig.OPTIONS, "url");
    }
}
