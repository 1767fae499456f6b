package org.fusekicdc.sink.nats;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.SinkProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Options of the NATS sink: defaults, and one bad value per error, each message naming the option and the fix. No server needed. */
class NatsSinkConfigTest {
    private static final Map<String, String> ENV = Map.of("NATS_USER", "alice", "NATS_PASSWORD", "pw-secret", "NATS_TOKEN", "tok-secret");

    @TempDir
    Path work;

    private static NatsSinkConfig config(String dataset, String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for ( int i = 0 ; i < keyValues.length ; i += 2 )
            m.put(keyValues[i], keyValues[i + 1]);
        return NatsSinkConfig.from(dataset, new OptionValues("nats", m, ENV::get), ENV::get);
    }

    @Test
    void theProviderIsFoundByServiceLoaderAndDeclaresEveryOption() {
        SinkProvider provider = ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
                                             .filter(p -> p.type().equals("NatsSink")).findFirst().orElseThrow();
        assertEquals(NatsSinkConfig.OPTIONS, provider.options());
        List<String> names = provider.options().stream().map(Option::name).toList();
        assertEquals(List.of("url", "subject", "stream", "format", "maxMessageBytes", "streamStorage", "streamReplicas", "duplicateWindowSeconds",
                             "streamMaxAge", "createStream", "userEnv", "passwordEnv", "tokenEnv", "credsFileEnv", "connectTimeoutSeconds",
                             "publishTimeoutSeconds", "cloudEvents", "cloudEventsSource", "cloudEventsType", "entityContext", "entityFrame", "entityDepth"), names);
        provider.options().forEach(o -> assertFalse(o.doc().isBlank(), o.name()));
    }

    @Test
    void defaultsDeriveSubjectAndStreamFromTheDatasetName() {
        NatsSinkConfig c = config("my-data.set 1");
        assertEquals(List.of("nats://127.0.0.1:4222"), c.servers());
        assertEquals("fuseki-cdc.my-data_set_1", c.subject());
        assertEquals("FUSEKI_CDC_MY_DATA_SET_1", c.stream());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals(0, c.maxMessageBytes());
        assertEquals("file", c.storage());
        assertEquals(1, c.replicas());
        assertEquals(Duration.ofSeconds(120), c.duplicateWindow());
        assertNull(c.maxAge());
        assertTrue(c.createStream());
        assertEquals(NatsSinkConfig.Credentials.Kind.NONE, c.credentials().kind());
        assertEquals(Duration.ofSeconds(30), c.publishTimeout());
        assertTrue(c.given().isEmpty());
    }

    @Test
    void everyOptionIsRead() {
        NatsSinkConfig c = config("ds", "url", "nats://a:4222, tls://b:4222", "subject", "cdc.ds", "stream", "CDC", "format", "binary",
                                  "maxMessageBytes", "65536", "streamStorage", "memory", "streamReplicas", "3", "duplicateWindowSeconds", "30",
                                  "streamMaxAge", "P7D", "createStream", "false", "userEnv", "NATS_USER", "passwordEnv", "NATS_PASSWORD",
                                  "connectTimeoutSeconds", "3", "publishTimeoutSeconds", "9");
        assertEquals(List.of("nats://a:4222", "tls://b:4222"), c.servers());
        assertEquals("cdc.ds", c.subject());
        assertEquals("CDC", c.stream());
        assertEquals(PatchRecord.BINARY, c.contentType());
        assertEquals(65536, c.maxMessageBytes());
        assertEquals("memory", c.storage());
        assertEquals(3, c.replicas());
        assertEquals(Duration.ofSeconds(30), c.duplicateWindow());
        assertEquals(Duration.ofDays(7), c.maxAge());
        assertFalse(c.createStream());
        assertEquals("alice", c.credentials().user());
        assertEquals("pw-secret", c.credentials().secret());
        assertEquals(Duration.ofSeconds(3), c.connectTimeout());
        assertEquals(Duration.ofSeconds(9), c.publishTimeout());
        assertFalse(c.describe().contains("pw-secret"), "no secret in the start-up log line: " + c.describe());
        assertTrue(c.describe().contains("$NATS_USER"));
    }

    @Test
    void aCredentialsFileIsNamedByAVariable() throws Exception {
        Path creds = Files.writeString(work.resolve("user.creds"), "-----BEGIN NATS USER JWT-----\n");
        Map<String, String> env = Map.of("NATS_CREDS", creds.toString());
        NatsSinkConfig c = NatsSinkConfig.from("ds", new OptionValues("nats", Map.of("credsFileEnv", "NATS_CREDS")), env::get);
        assertEquals(creds, c.credentials().credsFile());
    }

    static Stream<Arguments> badOptions() {
        return Stream.of(
            Arguments.of(Map.of("url", "localhost:4222"), "cdc:url holds 'localhost:4222'"),
            Arguments.of(Map.of("url", "http://h:4222"), "each URL needs a scheme nats://"),
            Arguments.of(Map.of("url", "nats://bob:hunter2@h:4222"), "cdc:url must not hold credentials"),
            Arguments.of(Map.of("url", " , "), "cdc:url is empty"),
            Arguments.of(Map.of("subject", "a.*.c"), "cdc:subject must not contain wildcards"),
            Arguments.of(Map.of("subject", "a..c"), "cdc:subject has an empty token"),
            Arguments.of(Map.of("subject", "a b"), "cdc:subject must be a NATS subject"),
            Arguments.of(Map.of("stream", "a.b"), "cdc:stream must be a JetStream stream name"),
            Arguments.of(Map.of("format", "xml"), "cdc:format must be one of text, binary, json"),
            Arguments.of(Map.of("cloudEventsSource", "/x"), "cdc:cloudEventsSource is set but cdc:cloudEvents is not true"),
            Arguments.of(Map.of("maxMessageBytes", "100"), "cdc:maxMessageBytes must be from 1024"),
            Arguments.of(Map.of("streamStorage", "disk"), "cdc:streamStorage must be one of file, memory"),
            Arguments.of(Map.of("streamReplicas", "7"), "cdc:streamReplicas must be from 1 to 5"),
            Arguments.of(Map.of("streamMaxAge", "7 days"), "cdc:streamMaxAge must be a duration"),
            Arguments.of(Map.of("streamMaxAge", "PT1M"), "cdc:duplicateWindowSeconds (120 s) must not be longer than cdc:streamMaxAge"),
            Arguments.of(Map.of("createStream", "yes"), "cdc:createStream must be true or false"),
            Arguments.of(Map.of("userEnv", "NATS_USER"), "cdc:passwordEnv is missing"),
            Arguments.of(Map.of("userEnv", "NATS_USER", "passwordEnv", "NATS_PASSWORD", "tokenEnv", "NATS_TOKEN"), "give only one of"),
            Arguments.of(Map.of("tokenEnv", "NO_SUCH_VARIABLE"), "cdc:tokenEnv names an environment variable that is not set"),
            Arguments.of(Map.of("tokenEnv", "${env:NATS_TOKEN}x-y"), "cdc:tokenEnv must be the name of an environment variable"),
            Arguments.of(Map.of("credsFileEnv", "NATS_USER"), "whose value alice is not a readable file"),
            Arguments.of(Map.of("publishTimeoutSeconds", "0"), "cdc:publishTimeoutSeconds must be from 1 to 600"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("badOptions")
    void aBadOptionStopsStartWithAMessageNamingIt(Map<String, String> options, String expected) {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> NatsSinkConfig.from("ds", new OptionValues("nats", options, ENV::get), ENV::get));
        assertTrue(ex.getMessage().startsWith("Sink 'nats': cdc:"), ex.getMessage());
        assertTrue(ex.getMessage().contains(expected), "expected '" + expected + "' in: " + ex.getMessage());
        assertFalse(ex.getMessage().contains("secret") || ex.getMessage().contains("hunter2"), "no secret in: " + ex.getMessage());
    }

    @Test
    void datasetNamesOutsidePrintableAsciiArePercentEncodedInHeaders() {
        assertEquals("ds", NatsHeaders.encode("ds"));
        assertEquals("donn%C3%A9es%25", NatsHeaders.encode("données%"));
        assertEquals("données%", NatsHeaders.decode("donn%C3%A9es%25"));
        var h = NatsHeaders.toNats(Map.of(PatchMessages.DATASET, "données", PatchMessages.VERSION, "3"));
        assertEquals("donn%C3%A9es", h.getFirst(PatchMessages.DATASET));
        assertEquals("données", NatsHeaders.fromNats(h).get(PatchMessages.DATASET));
    }

    @Test
    void streamSubjectsWithWildcardsCoverTheSubject() {
        assertTrue(NatsHeaders.covers("fuseki-cdc.ds", "fuseki-cdc.ds"));
        assertTrue(NatsHeaders.covers("fuseki-cdc.*", "fuseki-cdc.ds"));
        assertTrue(NatsHeaders.covers("fuseki-cdc.>", "fuseki-cdc.ds"));
        assertTrue(NatsHeaders.covers(">", "fuseki-cdc.ds"));
        assertFalse(NatsHeaders.covers("fuseki-cdc.>", "fuseki-cdc"));
        assertFalse(NatsHeaders.covers("fuseki-cdc.*", "fuseki-cdc.ds.x"));
        assertFalse(NatsHeaders.covers("fuseki-cdc.dsx", "fuseki-cdc.ds"));
        assertFalse(NatsHeaders.covers("fuseki-cdc.ds.x", "fuseki-cdc.ds"));
    }
}
