package org.fusekicdc.sink.redis;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The Redis option table of docs/sinks.md is generated from the option declarations; config-examples/redis.ttl uses only those. */
class RedisSinkDocTest {
    @Test
    void theOptionsTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("redis", RedisSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/redis -am test -Dtest=RedisSinkDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("redis.ttl", RedisSinkProvider.TYPE, RedisSinkConfig.OPTIONS, "url");
    }
}
