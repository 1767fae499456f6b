package org.fusekicdc.sink.webhook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.http.HttpMessageFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Webhook requests as JSON change events, as CloudEvents (binary and structured content mode,
 * read back with the CloudEvents SDK's HTTP binding), and signed the Standard Webhooks way
 * (checked by the reference implementation, npm standardwebhooks).
 */
class WebhookFormatsTest {
    private static final String SOURCE = "https://data.example.org/ds";

    @TempDir
    Path dir;
    @RegisterExtension
    final TestLog changes = new TestLog();
    private Receiver receiver;

    @BeforeEach
    void openLog() throws Exception {
        receiver = new Receiver((q, n) -> Receiver.Answer.OK);
    }

    @AfterEach
    void close() {
        receiver.close();
    }

    private WebhookSink sink(Map<String, String> env, String... kv) {
        Map<String, String> m = new HashMap<>(Map.of("url", receiver.url(), "secretEnv", "HOOK_SECRET"));
        for ( int i = 0 ; i < kv.length ; i += 2 )
            m.put(kv[i], kv[i + 1]);
        Map<String, String> e = new HashMap<>(env);
        e.put("HOOK_SECRET", "s");
        WebhookSink sink = new WebhookSink(WebhookSinkConfig.from("ds", new OptionValues("hook", m), e::get));
        sink.open();
        return sink;
    }

    private PatchRecord patch(int i) {
        String text = "TX .\nA <http://example.org/s" + i + "> <http://example.org/p> \"v" + i + "\"@en <http://example.org/g> .\n"
                      + (i > 1 ? "D <http://example.org/s" + (i - 1) + "> <http://example.org/p> \"v" + (i - 1) + "\"@en <http://example.org/g> .\n" : "")
                      + "TC .\n";
        return changes.append(text);
    }

    private static RDFPatch rdf(PatchRecord p) throws Exception {
        try (InputStream in = p.openText()) {
            return RDFPatchOps.read(in);
        }
    }

    @Test
    void jsonChangeEventsValidate() throws Exception {
        List<PatchRecord> sent = new ArrayList<>();
        try (WebhookSink sink = sink(Map.of(), "format", "json")) {
            for ( int i = 1 ; i <= 5 ; i++ ) {
                PatchRecord p = patch(i);
                sent.add(p);
                sink.deliver(p);
            }
        }
        assertEquals(5, receiver.requests.size());
        for ( int i = 0 ; i < 5 ; i++ ) {
            Receiver.Request r = receiver.requests.get(i);
            assertEquals(MessageFormats.JSON_CONTENT_TYPE, r.header("content-type"));
            JsonNode e = ChangeEventSchema.assertSameChanges(rdf(sent.get(i)), r.body());
            assertEquals(i + 1, e.get("version").asLong());
            assertEquals(sent.get(i).meta().id().toString(), r.header("cdc-id"));
            assertEquals("sha256=" + WebhookSink.sign("s".getBytes(StandardCharsets.UTF_8), r.body()), r.header(WebhookSink.SIGNATURE));
        }
    }

    @Test
    void jsonFiltersApplyToTheEvent() throws Exception {
        PatchRecord p;
        try (WebhookSink sink = sink(Map.of(), "format", "json", "predicates", "http://example.org/other", "sendEmptyPatches", "true")) {
            p = patch(1);
            sink.deliver(p);
        }
        JsonNode e = ChangeEventSchema.validate(receiver.requests.get(0).body());
        assertEquals(0, e.get("changes").size(), "the filter left no change");
        assertEquals(p.meta().id().toString(), e.get("id").asText());
    }

    @ParameterizedTest
    @CsvSource({"binary,text", "binary,json", "binary,binary", "structured,text", "structured,json", "structured,binary"})
    void cloudEventsReadByTheSdk(String mode, String format) throws Exception {
        List<PatchRecord> sent = new ArrayList<>();
        try (WebhookSink sink = sink(Map.of(), "format", format, "cloudEvents", "true", "cloudEventsMode", mode, "cloudEventsSource", SOURCE,
                                     "cloudEventsType", "org.example.change")) {
            for ( int i = 1 ; i <= 3 ; i++ ) {
                PatchRecord p = patch(i);
                sent.add(p);
                sink.deliver(p);
            }
        }
        String contentType = MessageFormats.byName(format).contentType();
        for ( int i = 0 ; i < 3 ; i++ ) {
            Receiver.Request r = receiver.requests.get(i);
            PatchRecord p = sent.get(i);
            assertEquals(mode.equals("structured") ? CloudEvents.STRUCTURED_CONTENT_TYPE : contentType, r.header("content-type"));
            CloudEvent e = HttpMessageFactory.createReader(r.headers(), r.body()).toEvent();
            assertEquals(SpecVersion.V1, e.getSpecVersion());
            assertEquals(p.meta().id().toString(), e.getId());
            assertEquals(URI.create(SOURCE), e.getSource());
            assertEquals("org.example.change", e.getType());
            assertEquals(contentType, e.getDataContentType());
            assertEquals(format.equals("json") ? URI.create(MessageFormats.JSON_SCHEMA_ID) : null, e.getDataSchema());
            assertEquals(Instant.ofEpochMilli(p.meta().timestamp()), e.getTime().toInstant());
            assertNull(e.getSubject());
            assertEquals(Set.of("sequence"), e.getExtensionNames());
            assertEquals(String.format("%019d", i + 1), e.getExtension("sequence"));
            byte[] data = e.getData().toBytes();
            switch ( format ) {
                case "json" -> ChangeEventSchema.assertSameChanges(rdf(p), data);
                case "text" -> assertArrayEquals(p.openText().readAllBytes(), data);
                default -> assertEquals(RDFPatchOps.str(rdf(p)), RDFPatchOps.str(org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary.read(
                    new java.io.ByteArrayInputStream(data))));
            }
            assertEquals(p.meta().id().toString(), r.header("cdc-id"), "the cdc- headers stay");
        }
    }

    @Test
    void oneEventARequest() {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> sink(Map.of(), "format", "json", "batchMaxPatches", "10"));
        assertTrue(ex.getMessage().contains("batchMaxPatches"), ex.getMessage());
        ex = assertThrows(CdcConfigException.class, () -> sink(Map.of(), "cloudEventsMode", "structured"));
        assertTrue(ex.getMessage().contains("cdc:cloudEvents"), ex.getMessage());
        ex = assertThrows(CdcConfigException.class, () -> sink(Map.of("WH", "not-whsec"), "standardWebhooksSecretEnv", "WH"));
        assertTrue(ex.getMessage().contains("whsec_"), ex.getMessage());
        ex = assertThrows(CdcConfigException.class, () -> sink(Map.of("WH", "whsec_%%%"), "standardWebhooksSecretEnv", "WH"));
        assertTrue(ex.getMessage().contains("base64"), ex.getMessage());
    }

    @Test
    void standardWebhooksSignaturesVerifyWithTheReferenceImplementation() throws Exception {
        Path modules = StandardWebhooksReference.install();
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        try (WebhookSink sink = sink(Map.of("WH", secret), "standardWebhooksSecretEnv", "WH", "format", "json", "cloudEvents", "true")) {
            for ( int i = 1 ; i <= 3 ; i++ )
                sink.deliver(patch(i));
        }
        try (WebhookSink sink = sink(Map.of("WH", secret), "standardWebhooksSecretEnv", "WH", "batchMaxPatches", "5")) {
            sink.deliver(List.of(patch(4), patch(5)));
        }
        List<Map<String, String>> headers = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for ( Receiver.Request r : receiver.requests ) {
            headers.add(r.headers());
            bodies.add(r.body());
            assertTrue(r.header(WebhookSink.WEBHOOK_SIGNATURE).startsWith("v1,"));
            assertEquals(r.header("cdc-id"), r.header(WebhookSink.WEBHOOK_ID), "webhook-id is the (last) patch id");
        }
        // Tampered copies the reference implementation must refuse: the test can fail.
        Map<String, String> wrongId = new LinkedHashMap<>(headers.get(0));
        wrongId.put(WebhookSink.WEBHOOK_ID, "another");
        headers.add(wrongId);
        bodies.add(bodies.get(0));
        headers.add(headers.get(1));
        bodies.add((new String(bodies.get(1), StandardCharsets.UTF_8) + " ").getBytes(StandardCharsets.UTF_8));
        List<String> verdicts = StandardWebhooksReference.verify(modules, dir.resolve("node"), secret, headers, bodies);
        assertEquals(List.of("ok", "ok", "ok", "ok (not JSON)"), verdicts.subList(0, 4), "every request verifies: " + verdicts);
        assertTrue(verdicts.get(4).startsWith("refused"), verdicts.get(4));
        assertTrue(verdicts.get(5).startsWith("refused"), verdicts.get(5));
    }
}
