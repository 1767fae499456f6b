package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.core.data.BytesCloudEventData;
import io.cloudevents.core.message.impl.BaseGenericBinaryMessageReaderImpl;
import io.nats.client.Connection;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every format, as a CloudEvent in binary content mode ({@code ce-} headers), through a
 * JetStream subject: each message read with the CloudEvents SDK (its generic binary-mode reader,
 * bound to NATS headers as the NATS protocol binding says) and every attribute checked; JSON
 * change events validated against the schema; a patch larger than a message split and
 * reassembled; each version once and in order across a restart that lost the sink's cursor.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsFormatsIT {
    private static final String SOURCE = "https://data.example.org/ds";

    @TempDir
    Path work;

    @BeforeEach
    void server() {
        NatsTesting.requireServer();
    }

    @ParameterizedTest
    @ValueSource(strings = {"text", "binary", "json"})
    void everyFormatAsCloudEventsOnceInOrder(String format) throws Exception {
        String stream = NatsTesting.unique("FUSEKI_CDC_FMT_"), subject = "fuseki-cdc-it." + NatsTesting.unique("fmt");
        try (Connection nc = NatsTesting.connect(URL); ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            try {
                CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                         CaptureConfig.defaults(work.resolve("spill")));
                String[] opts = {"url", URL, "stream", stream, "subject", subject, "format", format, "cloudEvents", "true",
                                 "cloudEventsSource", SOURCE, "maxMessageBytes", "2048"};
                for ( int i = 1 ; i <= 10 ; i++ )
                    NatsSinkIT.write(dsg, i, 300);
                NatsSinkIT.write(dsg, 11, 8000);
                try (SinkRunner runner = new SinkRunner(log, new NatsSinkProvider().create("ds", options("nats", opts), work), NatsSinkIT.FAST_RETRY)) {
                    runner.start();
                    TestSupport.await("delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == 11);
                }
                log.reader(SinkRunner.cursorName("nats")).rewind(0);
                for ( int i = 12 ; i <= 20 ; i++ )
                    NatsSinkIT.write(dsg, i, 300);
                try (SinkRunner runner = new SinkRunner(log, new NatsSinkProvider().create("ds", options("nats", opts), work), NatsSinkIT.FAST_RETRY)) {
                    runner.start();
                    TestSupport.await("delivered after the restart", Duration.ofSeconds(60), () -> runner.status().cursor() == 20);
                }

                List<NatsTesting.Stored> messages = NatsTesting.readSubject(nc, stream, subject);
                String contentType = MessageFormats.byName(format).contentType();
                DatasetGraph replay = DatasetGraphFactory.createTxnMem();
                long expected = 1;
                int split = 0;
                try (PatchReassembler reassembler = new PatchReassembler(work.resolve("reassemble"))) {
                    for ( NatsTesting.Stored m : messages ) {
                        long version = Long.parseLong(m.headers().get(PatchMessages.VERSION));
                        LogRecord logged = log.read(version);
                        assertAttributes(new NatsBinaryReader(m.headers(), m.data()).toEvent(), m.data(), logged, contentType);
                        Optional<PatchReassembler.Patch> whole = reassembler.offer(m.headers(), m.data());
                        if ( whole.isEmpty() )
                            continue;
                        assertEquals(expected++, version, "versions once, in order");
                        try (PatchReassembler.Patch p = whole.get(); InputStream in = p.open()) {
                            if ( !"1".equals(p.headers().get(PatchMessages.PARTS)) )
                                split++;
                            byte[] body = in.readAllBytes();
                            RDFPatch want = LogReplay.patch(logged);
                            if ( format.equals("json") ) {
                                JsonNode event = ChangeEventSchema.assertSameChanges(want, body);
                                ChangeEventSchema.apply(event, replay);
                            } else {
                                RDFPatch got = format.equals("binary") ? RDFPatchReaderBinary.read(new ByteArrayInputStream(body))
                                                                       : RDFPatchOps.read(new ByteArrayInputStream(body));
                                assertEquals(RDFPatchOps.str(want), RDFPatchOps.str(got));
                                RDFPatchOps.applyChange(replay, got);
                            }
                        }
                    }
                }
                assertEquals(21, expected, "versions 1..20");
                assertEquals(1, split, "the large transaction was split");
                LogReplay.assertSameDataset(dsg, replay, "replay of the " + format + " events of " + subject);
            } finally {
                NatsTesting.deleteStream(nc, stream);
            }
        }
    }

    private static void assertAttributes(CloudEvent e, byte[] data, LogRecord logged, String contentType) {
        assertEquals(SpecVersion.V1, e.getSpecVersion());
        assertEquals(logged.meta().id().toString(), e.getId());
        assertEquals(URI.create(SOURCE), e.getSource());
        assertEquals(CloudEvents.DEFAULT_TYPE, e.getType());
        assertEquals(contentType, e.getDataContentType());
        assertEquals(contentType.equals(MessageFormats.JSON_CONTENT_TYPE) ? URI.create(MessageFormats.JSON_SCHEMA_ID) : null, e.getDataSchema());
        assertEquals(Instant.ofEpochMilli(logged.meta().timestamp()), e.getTime().toInstant());
        assertNull(e.getSubject());
        assertEquals(Set.of("sequence"), e.getExtensionNames());
        assertEquals(String.format("%019d", logged.version()), e.getExtension("sequence"));
        assertArrayEquals(data, e.getData().toBytes());
    }

    /**
     * The CloudEvents SDK's binary-mode reader over NATS headers: {@code ce-} attributes,
     * percent-decoded as the NATS binding says, and {@code Content-Type} as datacontenttype.
     */
    private static final class NatsBinaryReader extends BaseGenericBinaryMessageReaderImpl<String, String> {
        private final Map<String, String> headers;

        NatsBinaryReader(Map<String, String> headers, byte[] body) {
            super(SpecVersion.parse(headers.get("ce-specversion")), new BytesCloudEventData(body));
            this.headers = headers;
        }

        @Override
        protected boolean isContentTypeHeader(String key) {
            return key.equalsIgnoreCase(PatchMessages.CONTENT_TYPE);
        }

        @Override
        protected boolean isCloudEventsHeader(String key) {
            return key.toLowerCase(Locale.ROOT).startsWith("ce-") && key.length() > 3;
        }

        @Override
        protected String toCloudEventsKey(String key) {
            return key.substring(3).toLowerCase(Locale.ROOT);
        }

        @Override
        protected void forEachHeader(BiConsumer<String, String> fn) {
            headers.forEach(fn);
        }

        @Override
        protected String toCloudEventsValue(String value) {
            return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
        }
    }
}
