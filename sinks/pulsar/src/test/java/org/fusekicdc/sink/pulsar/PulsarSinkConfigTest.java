package org.fusekicdc.sink.pulsar;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every Pulsar sink option is checked at start-up, with a message naming the option, the value and the fix; sequence ids grow along the topic. */
class PulsarSinkConfigTest {
    private static final Function<String, String> ENV = Map.of("PULSAR_TOKEN", "jwt-secret")::get;

    private static PulsarSinkConfig config(String... kv) {
        Map<String, String> m = new HashMap<>();
        for ( int i = 0 ; i < kv.length ; i += 2 )
            m.put(kv[i], kv[i + 1]);
        return PulsarSinkConfig.from("my ds", new OptionValues("pulsar", m), ENV);
    }

    @Test
    void defaultsGiveOneTopicPerDatasetAndAStableProducerName() {
        PulsarSinkConfig c = config();
        assertEquals("pulsar://127.0.0.1:6650", c.serviceUrl());
        assertEquals("persistent://public/default/fuseki-cdc-my_ds", c.topic());
        assertEquals("fuseki-cdc-my_ds-pulsar", c.producerName());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals(1024 * 1024, c.maxMessageBytes());
        assertNull(c.token());
        PulsarSinkConfig d = config("url", "pulsar+ssl://b1:6651,b2:6651", "topic", "patches", "producerName", "leader-1", "format", "binary",
                                    "tokenEnv", "PULSAR_TOKEN");
        assertEquals("patches", d.topic());
        assertEquals("leader-1", d.producerName());
        assertEquals(PatchRecord.BINARY, d.contentType());
        assertEquals("jwt-secret", d.token());
        assertTrue(d.describe().contains("token from $PULSAR_TOKEN"), d.describe());
        assertFalse(d.describe().contains("jwt-secret") || d.toString().contains("jwt-secret"), d.describe());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "url; http://127.0.0.1:6650; needs the scheme pulsar://",
        "url; pulsar://user:pw@127.0.0.1:6650; must not hold credentials",
        "url; not a url; is not a URL",
        "topic; non-persistent://public/default/t; non-persistent topic",
        "topic; kafka://t; write persistent://tenant/namespace/topic",
        "topic; a topic; printable ASCII without spaces",
        "producerName; a b; printable ASCII without spaces",
        "format; entity; must be one of text, binary, json",
        "maxMessageBytes; 100; must be from 1024 to 5177344",
        "maxMessageBytes; 6000000; must be from 1024 to 5177344",
        "tokenEnv; NOT_SET; names an environment variable that is not set",
        "tokenEnv; $PULSAR_TOKEN; must be the name of an environment variable",
        "connectTimeoutSeconds; 0; must be from 1 to 600",
        "publishTimeoutSeconds; 0; must be from 1 to 3600"})
    void aBadOptionStopsStartUpNamingItAndTheFix(String option, String value, String expected) {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> config(option, value));
        assertTrue(ex.getMessage().contains("cdc:" + option), ex.getMessage());
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
        assertFalse(ex.getMessage().contains("jwt-secret"), ex.getMessage());
    }

    @Test
    void sequenceIdsGrowWithVersionThenPart() {
        assertTrue(PulsarSink.sequenceId(1, 0) < PulsarSink.sequenceId(1, 1));
        assertTrue(PulsarSink.sequenceId(1, (int)PulsarSink.MAX_PARTS - 1) < PulsarSink.sequenceId(2, 0));
        assertEquals(5L << 20, PulsarSink.sequenceId(5, 0));
        assertTrue(PulsarSink.sequenceId(PulsarSink.MAX_VERSION, (int)PulsarSink.MAX_PARTS - 1) > 0, "no overflow at the largest version");
    }
}
