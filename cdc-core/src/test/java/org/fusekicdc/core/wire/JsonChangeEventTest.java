package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.UnaryOperator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The JSON change event: its content, its schema, and its split into parts. */
class JsonChangeEventTest {
    @TempDir
    Path dir;
    @RegisterExtension
    final TestLog changes = new TestLog();

    private PatchRecord patch(String text) {
        return changes.append(text);
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
    void aSourcePatchCarriesItsPositionSnapshotAndGroupInTheEvent() throws Exception {
        PatchRecord snapshot = patch("""
            H source "shop" .
            H sourceConnector "mariadb" .
            H sourceSnapshot "true" .
            H sourceSnapshotCleared "shop.item,shop.customer" .
            H sourceBinlog "mysql-bin.000003:1234" .
            TX .
            D <http://example.org/item/1> <http://example.org/label> "old" .
            TC .
            """);
        JsonNode s = ChangeEventSchema.assertSameChanges(rdfPatch(snapshot), json(snapshot)).get("source");
        assertEquals("shop", s.get("name").asText());
        assertEquals("mariadb", s.get("connector").asText());
        assertTrue(s.get("snapshot").asBoolean());
        assertEquals(List.of("shop.item", "shop.customer"), strings(s.get("snapshotCleared")));
        assertEquals("mysql-bin.000003:1234", s.get("binlog").asText());
        assertFalse(s.has("transactions"));

        PatchRecord behind = patch("""
            H source "shop" .
            H sourceConnector "mariadb" .
            H sourceBinlog "mysql-bin.000003:2048" .
            H sourceGtid "0-1-42" .
            H sourceTxId "42" .
            H sourceTransactions "3" .
            TX .
            A <http://example.org/item/2> <http://example.org/label> "two" .
            TC .
            """);
        s = ChangeEventSchema.assertSameChanges(rdfPatch(behind), json(behind)).get("source");
        assertEquals(3, s.get("transactions").asInt());
        assertEquals("0-1-42", s.get("gtid").asText());
        assertEquals("42", s.get("txId").asText());
        assertFalse(s.has("snapshot") || s.has("snapshotCleared"));

        // The same event as a structured CloudEvent's data.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CloudEvents(CloudEvents.defaultSource("ds"), CloudEvents.DEFAULT_TYPE).writeStructured(snapshot, MessageFormats.JSON, UnaryOperator.identity(), out);
        JsonNode data = ChangeEventSchema.validate(new ObjectMapper().readTree(out.toByteArray()).get("data").toString().getBytes(StandardCharsets.UTF_8));
        assertEquals(List.of("shop.item", "shop.customer"), strings(data.get("source").get("snapshotCleared")));
    }

    @Test
    void aRevertsMessageAndAPromotionAreInTheEvent() throws Exception {
        PatchRecord reverted = patch("TX .\nA <http://example.org/s> <http://example.org/p> \"o\" .\nTC .\n");
        PatchRecord revert = patch("""
            H message "undo the bad import" .
            H reverts "%d" .
            H revertsId "uuid:%s" .
            H revertedBy "admin" .
            TX .
            D <http://example.org/s> <http://example.org/p> "o" .
            TC .
            """.formatted(reverted.version(), reverted.meta().id()));
        JsonNode e = ChangeEventSchema.assertSameChanges(rdfPatch(revert), json(revert));
        assertEquals("undo the bad import", e.get("message").asText());
        assertEquals(reverted.version(), e.get("reverts").asLong());
        assertEquals(reverted.meta().id().toString(), e.get("revertsId").asText());
        assertEquals("admin", e.get("revertedBy").asText());
        assertFalse(e.has("promoted"));

        PatchRecord promoted = patch("H promoted \"true\" .\nTX .\nTC .\n");
        assertTrue(ChangeEventSchema.validate(json(promoted)).get("promoted").asBoolean());
    }

    /** A value of each header the patch text carries (the log record gives id, prev, version, timestamp and dataset). */
    private static final Map<String, String> HEADER_VALUES = Map.ofEntries(
        Map.entry(PatchHeaders.EPOCH, "2"), Map.entry(PatchHeaders.USER, "alice"), Map.entry(PatchHeaders.REQUEST_ID, "req-7"),
        Map.entry(PatchHeaders.MESSAGE, "m"), Map.entry(PatchHeaders.REVERTS, "1"),
        Map.entry(PatchHeaders.REVERTS_ID, "uuid:0b7e6c1e-6a55-4d2a-9c1e-0d8a3f1b2c3d"), Map.entry(PatchHeaders.REVERTED_BY, "admin"),
        Map.entry(PatchHeaders.PROMOTED, "true"), Map.entry(PatchHeaders.SOURCE, "shop"), Map.entry(PatchHeaders.SOURCE_CONNECTOR, "postgresql"),
        Map.entry(PatchHeaders.SOURCE_LSN, "0/1A2B3C8"), Map.entry(PatchHeaders.SOURCE_BINLOG, "mysql-bin.000003:1234"),
        Map.entry(PatchHeaders.SOURCE_GTID, "0-1-42"), Map.entry(PatchHeaders.SOURCE_TXID, "42"), Map.entry(PatchHeaders.SOURCE_SNAPSHOT, "true"),
        Map.entry(PatchHeaders.SOURCE_SNAPSHOT_CLEARED, "shop.item"), Map.entry(PatchHeaders.SOURCE_TRANSACTIONS, "2"));

    @Test
    void everyPatchHeaderReachesTheEvent() throws Exception {
        Set<String> fromTheRecord = Set.of(PatchHeaders.ID, PatchHeaders.PREV, PatchHeaders.VERSION, PatchHeaders.TIMESTAMP, PatchHeaders.DATASET);
        for ( Field f : PatchHeaders.class.getFields() ) {
            String header = (String)f.get(null);
            if ( fromTheRecord.contains(header) )
                continue;
            String value = HEADER_VALUES.get(header);
            assertNotNull(value, "PatchHeaders." + f.getName() + " (" + header + ") has no JSON form tested here: give it one in JsonChangeWriter and the schema");
            String base = header.startsWith("source") && !header.equals(PatchHeaders.SOURCE) ? "H source \"shop\" .\n" : "";
            JsonNode without = ChangeEventSchema.validate(json(patch(base + "TX .\nTC .\n")));
            JsonNode with = ChangeEventSchema.validate(json(patch(base + "H " + header + " \"" + value + "\" .\nTX .\nTC .\n")));
            assertTrue(members(with) > members(without), header + " is not in the event: " + with);
        }
    }

    /** Members of the event and of its source object. */
    private static int members(JsonNode e) {
        return e.size() + (e.has("source") ? e.get("source").size() : 0);
    }

    private static List<String> strings(JsonNode array) {
        List<String> s = new ArrayList<>();
        array.forEach(n -> s.add(n.asText()));
        return s;
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
