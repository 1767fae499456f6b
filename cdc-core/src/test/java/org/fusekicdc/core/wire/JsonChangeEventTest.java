package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The JSON change event: its content, its schema, and its split into parts. */
class JsonChangeEventTest {
    @TempDir
    Path dir;
    private ChangeLog log;
    private LogWriter writer;

    @BeforeEach
    void openLog() {
        log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
        writer = LogWriter.claim(log);
    }

    @AfterEach
    void close() {
        log.close();
    }

    private PatchRecord patch(String text) {
        long v = writer.append((meta, out) -> out.write(text.getBytes(StandardCharsets.UTF_8))).version();
        writer.publish(v);
        return new PatchRecord("ds", log.read(v));
    }

    private static byte[] json(PatchRecord p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageFormats.JSON.write(p, out);
        return out.toByteArray();
    }

    private static RDFPatch rdfPatch(PatchRecord p) throws IOException {
        try (InputStream in = p.openText()) {
            return RDFPatchOps.read(in);
        }
    }

    static final String EVERY_KIND_OF_TERM = """
        H user "alice" .
        H requestId "req-7" .
        TX .
        PA "ex" <http://example.org/> .
        PA "g" <http://example.org/g#> <http://example.org/graph> .
        A <http://example.org/s> <http://example.org/p> "plain" .
        A <http://example.org/s> <http://example.org/p> "chat"@fr <http://example.org/graph> .
        A <http://example.org/s> <http://example.org/p> "مرحبا"@ar--rtl .
        A _:b0 <http://example.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
        A <http://example.org/s> <http://example.org/p> _:b0 _:g1 .
        A <<( <http://example.org/s> <http://example.org/p> "x" )>> <http://example.org/says> "quote \\" back\\\\slash\\n tab\\t ctl\\u0001 é 𝄞" .
        D <http://example.org/s> <http://example.org/old> <http://example.org/o> .
        PD "ex" .
        TC .
        """;

    @Test
    void anEventCarriesThePatchIdentityAndEveryChangeAndValidates() throws Exception {
        PatchRecord first = patch("TX .\nTC .\n");
        PatchRecord p = patch(EVERY_KIND_OF_TERM);
        JsonNode e = ChangeEventSchema.assertSameChanges(rdfPatch(p), json(p));
        assertEquals(p.meta().id().toString(), e.get("id").asText());
        assertEquals(first.meta().id().toString(), e.get("prev").asText());
        assertEquals(2, e.get("version").asLong());
        assertEquals("ds", e.get("dataset").asText());
        assertEquals(Instant.ofEpochMilli(p.meta().timestamp()), Instant.parse(e.get("timestamp").asText()));
        assertEquals("alice", e.get("user").asText());
        assertEquals("req-7", e.get("requestId").asText());
        assertEquals(10, e.get("changes").size());
        JsonNode rtl = e.get("changes").get(4).get("object");
        assertEquals("ar", rtl.get("xml:lang").asText());
        assertEquals("rtl", rtl.get("its:dir").asText());
        assertEquals("triple", e.get("changes").get(7).get("subject").get("type").asText());

        JsonNode empty = ChangeEventSchema.validate(json(first));
        assertFalse(empty.has("prev"), "the first patch has no prev");
        assertFalse(empty.has("user"));
        assertEquals(0, empty.get("changes").size());
    }

    @Test
    void theSchemaRefusesWhatIsNotAnEvent() throws Exception {
        String ok = "{\"id\":\"0b7e6c1e-6a55-4d2a-9c1e-0d8a3f1b2c3d\",\"version\":1,\"dataset\":\"ds\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"changes\":[]}";
        assertTrue(ChangeEventSchema.problems(ok).isEmpty());
        assertFalse(ChangeEventSchema.problems(ok.replace("\"version\":1", "\"version\":0")).isEmpty(), "versions start at 1");
        assertFalse(ChangeEventSchema.problems(ok.replace("[]", "[{\"op\":\"add\",\"subject\":{\"type\":\"literal\",\"value\":\"x\"}}]")).isEmpty(),
                    "an add needs predicate and object");
        assertFalse(ChangeEventSchema.problems(ok.replace("2026-01-01T00:00:00Z", "yesterday")).isEmpty(), "timestamps are date-times");
        assertFalse(ChangeEventSchema.problems(ok.replace("\"changes\":[]", "\"changes\":[],\"extra\":1")).isEmpty(), "no unknown members");
    }

    @Test
    void aLargeEventIsSplitIntoPartsThatReassembleToIt() throws Exception {
        StringBuilder sb = new StringBuilder("TX .\n");
        for ( int i = 0 ; i < 2000 ; i++ )
            sb.append("A <http://example.org/s").append(i).append("> <http://example.org/p> \"value ").append(i).append("\" .\n");
        sb.append("TC .\n");
        PatchRecord p = patch(sb.toString());
        byte[] whole = json(p);
        assertTrue(whole.length > 10 * 4096);
        List<Map<String, String>> headers = new ArrayList<>();
        List<Optional<PatchReassembler.Patch>> out = new ArrayList<>();
        try (PatchReassembler r = new PatchReassembler(dir.resolve("tmp"))) {
            PatchMessages.parts(p, MessageFormats.JSON, Map.of("x-extra", "1"), 4096, dir.resolve("parts"), (h, v) -> {
                assertTrue(v.length <= 4096);
                headers.add(h);
                out.add(r.offer(h, v));
            });
            assertEquals(String.valueOf(headers.size()), headers.get(0).get(PatchMessages.PARTS));
            assertTrue(headers.size() > 10);
            headers.forEach(h -> {
                assertEquals(MessageFormats.JSON_CONTENT_TYPE, h.get(PatchMessages.CONTENT_TYPE));
                assertEquals("1", h.get("x-extra"));
                assertEquals(p.meta().id().toString(), h.get(PatchMessages.ID));
            });
            PatchReassembler.Patch back = out.getLast().orElseThrow();
            try (back; InputStream in = back.open()) {
                byte[] joined = in.readAllBytes();
                assertArrayEquals(whole, joined);
                ChangeEventSchema.assertSameChanges(rdfPatch(p), joined);
            }
        }
        try (var files = Files.list(dir.resolve("parts"))) {
            assertEquals(0, files.count(), "the written message is deleted");
        }
    }

    @Test
    void theSchemaInTheDocsIsTheOneInTheJar() throws Exception {
        byte[] jar;
        try (InputStream in = MessageFormats.class.getResourceAsStream(MessageFormats.JSON_SCHEMA_RESOURCE)) {
            jar = in.readAllBytes();
        }
        Path docs = Path.of("..", "docs", "schemas", "change-event.schema.json");
        assertArrayEquals(jar, Files.readAllBytes(docs), docs + " differs from " + MessageFormats.JSON_SCHEMA_RESOURCE + "; copy the jar's over it");
        assertTrue(new String(jar, StandardCharsets.UTF_8).contains(MessageFormats.JSON_SCHEMA_ID));
    }

    @Test
    void cloudEventAttributes() throws Exception {
        PatchRecord p = patch("TX .\nA <http://example.org/s> <http://example.org/p> \"o\" .\nTC .\n");
        CloudEvents ce = new CloudEvents(CloudEvents.defaultSource("ds"), CloudEvents.DEFAULT_TYPE);
        Map<String, String> k = ce.binaryHeaders(CloudEvents.Binding.KAFKA, p, MessageFormats.JSON);
        assertEquals(List.of("ce_specversion", "ce_id", "ce_source", "ce_type", "content-type", "ce_dataschema", "ce_time", "ce_sequence"),
                     List.copyOf(k.keySet()));
        assertEquals("0000000000000000001", k.get("ce_sequence"));
        assertTrue(CloudEvents.sequence(9).compareTo(CloudEvents.sequence(10)) < 0, "string order is version order");
        assertEquals("/ds", k.get("ce_source"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ce.writeStructured(p, MessageFormats.TEXT, java.util.function.UnaryOperator.identity(), out);
        JsonNode e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toByteArray());
        assertEquals(new String(p.openText().readAllBytes(), StandardCharsets.UTF_8), e.get("data").asText());
        out.reset();
        ce.writeStructured(p, MessageFormats.JSON, java.util.function.UnaryOperator.identity(), out);
        e = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out.toByteArray());
        ChangeEventSchema.validate(e.get("data").toString().getBytes(StandardCharsets.UTF_8));
    }
}
