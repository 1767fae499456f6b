package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import io.cloudevents.CloudEvent;
import io.cloudevents.SpecVersion;
import io.cloudevents.kafka.KafkaMessageFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.CloudEvents;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every format, as a CloudEvent in binary content mode, through a Kafka topic: read back with
 * the CloudEvents SDK (every attribute checked), JSON change events validated against the
 * schema, a patch larger than a record split and reassembled, and each version once and in
 * order across a restart that lost the sink's cursor (the start-up check reads the topic's
 * tail whatever the format).
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaFormatsIT {
    private static final int MAX_MESSAGE_BYTES = 2048;
    private static final String SOURCE = "https://data.example.org/ds";
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"text", "binary", "json"})
    void everyFormatAsCloudEventsOnceInOrder(String format, TestBroker broker) throws Exception {
        String topic = KafkaSinkIT.uniqueTopic("ce-" + format);
        Map<String, String> opts = KafkaSinkIT.options(broker, topic);
        opts.put("format", format);
        opts.put("cloudEvents", "true");
        opts.put("cloudEventsSource", SOURCE);
        opts.put("maxMessageBytes", Integer.toString(MAX_MESSAGE_BYTES));
        int n = 40;
        try (CapturedStore store = CapturedStore.open(dir, "ds")) {
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                for ( int i = 1 ; i <= n / 2 ; i++ )
                    store.write(i);
                store.writeLarge("big", 200);
                KafkaSinkIT.awaitCaughtUp(runner, store);
            }
            // The cursor lost: the topic's last record says where to go on.
            store.log.reader(SinkRunner.cursorName("kafka")).rewind(0);
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                for ( int i = n / 2 + 1 ; i <= n ; i++ )
                    store.write(i);
                KafkaSinkIT.awaitCaughtUp(runner, store);
            }
            long last = store.log.publishedVersion();
            assertEquals(n + 1, last);

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            assertEquals(0, PatchChecks.checkOnceInOrder(records, last), "no interrupted patch");
            DatasetGraph replay = DatasetGraphFactory.createTxnMem();
            String expectedType = MessageFormats.byName(format).contentType();
            int split = 0;
            try (PatchReassembler reassembler = new PatchReassembler(dir.resolve("reassemble"))) {
                for ( ConsumerRecord<byte[], byte[]> r : records ) {
                    long version = TopicRecords.version(r);
                    LogRecord logged = store.log.read(version);
                    assertAttributes(KafkaMessageFactory.createReader(r).toEvent(), r, logged, expectedType);
                    Optional<PatchReassembler.Patch> whole = reassembler.offer(headers(r), r.value());
                    if ( whole.isEmpty() )
                        continue;
                    try (PatchReassembler.Patch p = whole.get(); InputStream in = p.open()) {
                        if ( !"1".equals(p.headers().get(PatchMessages.PARTS)) )
                            split++;
                        byte[] body = in.readAllBytes();
                        RDFPatch expected = LogReplay.patch(logged);
                        if ( format.equals("json") ) {
                            JsonNode event = ChangeEventSchema.assertSameChanges(expected, body);
                            assertEquals(version, event.get("version").asLong());
                            ChangeEventSchema.apply(event, replay);
                        } else {
                            RDFPatch got = PatchChecks.parse(expectedType, new ByteArrayInputStream(body));
                            PatchChecks.checkHeaders(got, logged.meta().id().toString(),
                                                     logged.meta().prevId() == null ? null : logged.meta().prevId().toString(), version,
                                                     logged.meta().prevId() == null ? null : logged.meta().prevId().toString(), "ds");
                            RDFPatchOps.applyChange(replay, got);
                        }
                    }
                }
                assertEquals(last, reassembler.lastVersion());
            }
            assertEquals(1, split, "the large transaction was split into parts");
            LogReplay.assertSameDataset(store.dsg, replay, "replay of the " + format + " events of topic " + topic);
        }
    }

    /** Every CloudEvents attribute, as the SDK reads it from the record. */
    private static void assertAttributes(CloudEvent e, ConsumerRecord<byte[], byte[]> r, LogRecord logged, String contentType) {
        assertEquals(SpecVersion.V1, e.getSpecVersion());
        assertEquals(logged.meta().id().toString(), e.getId(), "id is the patch id");
        assertEquals(URI.create(SOURCE), e.getSource());
        assertEquals(CloudEvents.DEFAULT_TYPE, e.getType());
        assertEquals(contentType, e.getDataContentType());
        assertEquals(contentType.equals(MessageFormats.JSON_CONTENT_TYPE) ? URI.create(MessageFormats.JSON_SCHEMA_ID) : null, e.getDataSchema());
        assertEquals(Instant.ofEpochMilli(logged.meta().timestamp()), e.getTime().toInstant(), "time is the commit time");
        assertNull(e.getSubject());
        assertEquals(Set.of("sequence"), e.getExtensionNames(), "the only extension");
        assertEquals(String.format("%019d", logged.version()), e.getExtension("sequence"));
        assertArrayEquals(r.value(), e.getData().toBytes(), "data is the record value");
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> h = new LinkedHashMap<>();
        for ( Header x : r.headers() )
            h.put(x.key(), new String(x.value(), StandardCharsets.UTF_8));
        return h;
    }
}
