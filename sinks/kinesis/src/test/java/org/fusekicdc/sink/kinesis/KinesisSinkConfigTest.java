package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;

import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Test;

/** Every Kinesis option is read and checked at start-up, with a message naming the option and the fix. */
class KinesisSinkConfigTest {
    private static final Map<String, String> ENV = Map.of("ID", "AKIAEXAMPLE", "SECRET", "s3cr3t-value", "TOKEN", "session");

    private static KinesisSinkConfig parse(Map<String, String> options) {
        return KinesisSinkConfig.from("ds", new OptionValues("kinesis", options), ENV::get);
    }

    private static String error(Map<String, String> options) {
        return assertThrows(CdcConfigException.class, () -> parse(options)).getMessage();
    }

    @Test
    void defaults() {
        KinesisSinkConfig c = parse(Map.of());
        assertEquals("fuseki-cdc-ds", c.stream());
        assertNull(c.region(), "the SDK's default region chain");
        assertNull(c.endpoint());
        assertNull(c.credentials(), "the SDK's default credential chain");
        assertFalse(c.createStream());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals(1_000_000, c.maxRecordBytes());
        assertEquals(1024, c.maxParts());
        assertEquals(30, c.requestTimeout().toSeconds());
        assertEquals("fuseki-cdc-my_data_set", KinesisSinkConfig.defaultStream("my/data set"));
    }

    @Test
    void everyOptionIsRead() {
        Map<String, String> o = new HashMap<>();
        o.put("streamName", "changes.ds");
        o.put("region", "EU-West-1");
        o.put("endpoint", "http://127.0.0.1:4567");
        o.put("createStream", "true");
        o.put("format", "binary");
        o.put("maxRecordBytes", "4096");
        o.put("maxParts", "3");
        o.put("accessKeyIdEnv", "ID");
        o.put("secretAccessKeyEnv", "SECRET");
        o.put("sessionTokenEnv", "TOKEN");
        o.put("requestTimeoutSeconds", "7");
        KinesisSinkConfig c = parse(o);
        assertEquals("changes.ds", c.stream());
        assertEquals("eu-west-1", c.region());
        assertEquals(URI.create("http://127.0.0.1:4567"), c.endpoint());
        assertTrue(c.createStream());
        assertEquals(PatchRecord.BINARY, c.contentType());
        assertEquals(4096, c.maxRecordBytes());
        assertEquals(3, c.maxParts());
        assertEquals("AKIAEXAMPLE", c.credentials().accessKeyId());
        assertEquals("session", c.credentials().sessionToken());
        assertEquals(7, c.requestTimeout().toSeconds());
        assertFalse(c.describe().contains("s3cr3t-value"), "no secret in the start-up log: " + c.describe());
        assertFalse(c.toString().contains("AKIAEXAMPLE"), c.toString());
    }

    @Test
    void badValuesNameTheOptionAndTheFix() {
        assertTrue(error(Map.of("streamName", "bad name!")).contains("cdc:streamName"));
        assertTrue(error(Map.of("region", "eu west")).contains("cdc:region"));
        assertTrue(error(Map.of("endpoint", "ftp://x")).contains("cdc:endpoint"));
        assertTrue(error(Map.of("endpoint", "https://user:pw@kinesis.example")).contains("must not hold credentials"));
        assertTrue(error(Map.of("maxRecordBytes", "2000000")).contains("cdc:maxRecordBytes"));
        assertTrue(error(Map.of("maxParts", "0")).contains("cdc:maxParts"));
        assertTrue(error(Map.of("format", "xml")).contains("cdc:format"));
        assertTrue(error(Map.of("accessKeyIdEnv", "ID")).contains("cdc:secretAccessKeyEnv"));
        assertTrue(error(Map.of("secretAccessKeyEnv", "SECRET")).contains("cdc:accessKeyIdEnv"));
        String unset = error(Map.of("accessKeyIdEnv", "NOT_SET", "secretAccessKeyEnv", "SECRET"));
        assertTrue(unset.contains("cdc:accessKeyIdEnv") && unset.contains("not set"), unset);
        String literal = error(Map.of("accessKeyIdEnv", "AKIA/xyz", "secretAccessKeyEnv", "SECRET"));
        assertFalse(literal.contains("AKIA/xyz"), "a secret written in place of a name is not repeated: " + literal);
        String longName = assertThrows(CdcConfigException.class,
                                       () -> KinesisSinkConfig.from("d".repeat(300), new OptionValues("kinesis", Map.of()), ENV::get)).getMessage();
        assertTrue(longName.contains("partition key"), longName);
    }
}
