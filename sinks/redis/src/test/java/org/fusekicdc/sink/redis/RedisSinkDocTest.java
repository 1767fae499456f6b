package org.fusekicdc.sink.redis;

import java.io.IOException;

import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The Redis section of docs/sinks.md lists exactly the options the code knows; config-examples/redis.ttl uses only those. */
class RedisSinkDocTest {
    @Test
    void theOptionsTableMatchesTheCode() throws IOException {
        SinkDocChecks.optionsTableMatches("## Redis Streams: `cdc:RedisSink`", "Redis", RedisSinkConfig.OPTIONS);
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("redis.ttl", RedisSinkProvider.TYPE, RedisSinkConfig.OPTIONS, "url");
    }
}
