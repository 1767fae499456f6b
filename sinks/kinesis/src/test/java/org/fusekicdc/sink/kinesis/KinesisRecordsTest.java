package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.Test;

/** The record layout: a header block, an empty line, the bytes; anything else is refused by name. */
class KinesisRecordsTest {
    @Test
    void headersAndBytesComeBackAsWritten() {
        Map<String, String> h = new LinkedHashMap<>();
        h.put(PatchMessages.CONTENT_TYPE, "application/rdf-patch");
        h.put(PatchMessages.VERSION, "42");
        h.put(PatchMessages.DATASET, "dätaset");
        byte[] value = "TX .\n\nTC .\n".getBytes(StandardCharsets.UTF_8);
        byte[] data = KinesisRecords.encode(h, value);
        assertEquals(KinesisRecords.headerLength(h) + value.length, data.length);
        assertTrue(new String(data, StandardCharsets.UTF_8).startsWith("fuseki-cdc 1\nContent-Type: application/rdf-patch\ncdc-version: 42\n"));
        KinesisRecords.Message m = KinesisRecords.decode(data);
        assertEquals(h, m.headers());
        assertArrayEquals(value, m.value(), "an empty line inside the patch is the patch's");
        assertArrayEquals(new byte[0], KinesisRecords.decode(KinesisRecords.encode(h, new byte[0])).value());
    }

    @Test
    void foreignDataIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> KinesisRecords.decode("{\"json\":1}".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> KinesisRecords.decode("fuseki-cdc 1\ncdc-version: 1\n".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> KinesisRecords.decode("fuseki-cdc 1\nno colon\n\n".getBytes(StandardCharsets.UTF_8)));
        assertThrows(IllegalArgumentException.class, () -> KinesisRecords.encode(Map.of("cdc-dataset", "a\nb"), new byte[0]));
    }
}
