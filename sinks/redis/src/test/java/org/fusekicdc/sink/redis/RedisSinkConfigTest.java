package org.fusekicdc.sink.redis;

import static org.fusekicdc.sink.redis.RedisTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.OptionValues;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Every Redis sink option is checked at start-up, with a message naming the option, the value and the fix. */
class RedisSinkConfigTest {
    private static final Function<String, String> ENV = Map.of("REDIS_PASSWORD", "pw-secret", "REDIS_USER", "cdc")::get;

    private static RedisSinkConfig config(String... kv) {
        return RedisSinkConfig.from("my ds", options("redis", kv), ENV);
    }

    @Test
    void defaultsGiveOneStreamPerDatasetAndAVersionKeyBesideIt() {
        RedisSinkConfig c = config();
        assertEquals("redis://127.0.0.1:6379", c.url().toString());
        assertEquals("fuseki-cdc:my ds", c.stream());
        assertEquals("fuseki-cdc:my ds:version", c.versionKey());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals(0, c.maxLen());
        assertEquals(0, c.database());
        assertNull(c.password());
        RedisSinkConfig d = config("url", "rediss://cache:6380/3", "streamKey", "{ds}:patches", "format", "binary", "maxLen", "1000");
        assertTrue(d.tls());
        assertEquals(3, d.database());
        assertEquals("{ds}:patches:version", d.versionKey(), "the version key shares the stream key's hash tag");
        assertEquals(PatchRecord.BINARY, d.contentType());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "url; http://127.0.0.1:6379; needs the scheme redis://",
        "url; redis://:pw@127.0.0.1:6379; must not hold credentials",
        "url; redis://127.0.0.1:6379/x; is not a database number",
        "url; redis://127.0.0.1:6379?db=1; query parameters are not used",
        "url; not a url at all; is not a URL",
        "streamKey; ''; is empty",
        "versionKey; fuseki-cdc:my ds; is the same key as cdc:streamKey",
        "format; xml; must be one of text, binary, json",
        "format; entity; a Kafka or NATS sink for entity documents",
        "maxLen; -1; must be from 0",
        "maxEntryBytes; 100; must be from 1024 to 536870912",
        "maxEntryBytes; 1000000000; must be from 1024 to 536870912",
        "passwordEnv; NOT_SET; names an environment variable that is not set",
        "passwordEnv; $REDIS_PASSWORD; must be the name of an environment variable",
        "userEnv; REDIS_USER; cdc:userEnv needs cdc:passwordEnv",
        "commandTimeoutSeconds; 0; must be from 1 to 3600"})
    void aBadOptionStopsStartUpNamingItAndTheFix(String option, String value, String expected) {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> config(option, value));
        assertTrue(ex.getMessage().contains("cdc:" + option) || ex.getMessage().contains("cdc:passwordEnv"), ex.getMessage());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
        assertFalse(ex.getMessage().contains("pw-secret"), ex.getMessage());
    }

    @Test
    void theStartUpDescriptionNamesTheVariablesNotTheSecrets() {
        RedisSinkConfig c = RedisSinkConfig.from("ds", new OptionValues("redis", Map.of("userEnv", "REDIS_USER", "passwordEnv", "REDIS_PASSWORD")), ENV);
        assertEquals("cdc", c.user());
        assertEquals("pw-secret", c.password());
        assertTrue(c.describe().contains("user from $REDIS_USER, password from $REDIS_PASSWORD"), c.describe());
        assertFalse(c.describe().contains("pw-secret") || c.toString().contains("pw-secret"), c.describe());
    }
}
