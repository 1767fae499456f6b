package org.fusekicdc.sink.kinesis;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The Kinesis option table of docs/sinks.md is generated from the option declarations; config-examples/kinesis.ttl uses only those. */
class KinesisSinkDocTest {
    @Test
    void theOptionsTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("kinesis", KinesisSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/kinesis -am test -Dtest=KinesisSinkDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("kinesis.ttl", KinesisSinkProvider.TYPE, KinesisSinkConfig.OPTIONS, "region");
    }
}
