package org.fusekicdc.sink.pulsar;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.pulsar.client.api.MessageId;
import org.apache.pulsar.client.api.Producer;
import org.apache.pulsar.client.api.PulsarClient;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a Pulsar consumer sees, and the broker's deduplication at work: key, properties and
 * sequence ids of the messages; a message sent again under the sink's producer name with a
 * sequence id the broker already has is dropped, not stored twice.
 */
class PulsarSinkIT {
    private static PulsarTesting.PrivateBroker broker;

    @TempDir
    Path dir;

    @BeforeAll
    static void useSharedBroker() throws Exception {
        broker = PulsarTesting.sharedBroker();
    }

    @Test
    void messagesCarryTheHeadersAndTheBrokerDropsAResentSequenceId() throws Exception {
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-sink-");
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            Map<String, String> options = Map.of("url", broker.serviceUrl(), "topic", topic, "producerName", "it-producer", "format", "binary");
            Workload workload = new Workload(21, "headers");
            try (SinkRunner runner = new SinkRunner(log, new PulsarSinkProvider(name -> null).create("ds", new OptionValues("pulsar", options),
                                                                                                     dir.resolve("sink-work")),
                                                    SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                for ( int i = 0 ; i < 3 ; i++ )
                    workload.step(dsg);
                await("3 versions delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == 3);
            }
            List<PulsarTesting.Stored> stored = PulsarTesting.readTopic(broker.serviceUrl(), topic);
            assertEquals(List.of(1L, 2L, 3L), stored.stream().map(PulsarTesting.Stored::version).toList());
            String prevId = null;
            for ( PulsarTesting.Stored m : stored ) {
                assertEquals("ds", m.key());
                assertEquals("it-producer", m.producerName());
                assertEquals(m.version() << 20, m.sequenceId(), "sequence id = version x 2^20 + part");
                assertEquals("ds", m.properties().get(PatchMessages.DATASET));
                assertEquals("application/rdf-patch+thrift", m.properties().get(PatchMessages.CONTENT_TYPE));
                assertEquals("0", m.properties().get(PatchMessages.PART));
                assertEquals("1", m.properties().get(PatchMessages.PARTS));
                assertEquals(prevId, m.properties().get(PatchMessages.PREV));
                if ( prevId == null )
                    assertNull(m.properties().get(PatchMessages.PREV), "version 1 has no prev");
                assertTrue(m.properties().containsKey(PatchMessages.TIMESTAMP));
                prevId = m.properties().get(PatchMessages.ID);
            }

            // As after a crash between the broker's store and its receipt: the same producer name sends version 2 again.
            try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl()).build();
                 Producer<byte[]> again = client.newProducer().topic(topic).producerName("it-producer").enableBatching(false).create()) {
                assertEquals(3L << 20, again.getLastSequenceId(), "the broker remembers the sink's last sequence id");
                MessageId id = again.newMessage().sequenceId(2L << 20).properties(stored.get(1).properties()).value("again".getBytes(StandardCharsets.UTF_8)).send();
                assertTrue(id.toString().contains("-1:-1"), "a duplicate gets no position: " + id);
            }
            assertEquals(List.of(1L, 2L, 3L), PulsarTesting.readTopic(broker.serviceUrl(), topic).stream().map(PulsarTesting.Stored::version).toList(),
                         "the resend was dropped");
        } finally {
            dsg.close();
        }
    }

    /** A continuous query's sink ({@code cdc:format "step"}) sends each step as JSON, with the step's properties, like the other sinks. */
    @Test
    void aContinuousQuerysStepIsSentAsJsonWithTheStepProperties() throws Exception {
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-steps-");
        ChangeLog steps = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("steps"), "ds.avg").withFsync(false));
        try {
            String json = "{\"query\":\"avg\",\"step\":29608320,\"operator\":\"RSTREAM\",\"windowStart\":\"2026-04-18T07:55:00Z\","
                          + "\"windowEnd\":\"2026-04-18T08:00:00Z\",\"version\":42,\"results\":{\"head\":{\"vars\":[\"n\"]},\"results\":{\"bindings\":[]}}}";
            LogWriter writer = LogWriter.claim(steps);
            RecordMeta meta = writer.append((m, out) -> out.write(json.getBytes(StandardCharsets.UTF_8)));
            writer.publish(meta.version());
            Map<String, String> options = Map.of("url", broker.serviceUrl(), "topic", topic, "format", "step");
            try (SinkRunner runner = new SinkRunner(steps, new PulsarSinkProvider(name -> null).create("ds.avg", new OptionValues("pulsar", options),
                                                                                                       dir.resolve("sink-work")),
                                                    SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                await("the step delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == 1);
            }
            List<PulsarTesting.Stored> stored = PulsarTesting.readTopic(broker.serviceUrl(), topic);
            assertEquals(1, stored.size());
            Map<String, String> p = stored.get(0).properties();
            assertEquals("application/json", p.get(PatchMessages.CONTENT_TYPE));
            assertEquals("avg", p.get("cdc-query"));
            assertEquals("29608320", p.get("cdc-step"));
            assertEquals("42", p.get("cdc-evaluated-version"));
            assertEquals("2026-04-18T07:55:00Z", p.get("cdc-window-start"));
            assertEquals("2026-04-18T08:00:00Z", p.get("cdc-window-end"));
            assertEquals("1", p.get(PatchMessages.VERSION));
            assertEquals(json, new String(stored.get(0).data(), StandardCharsets.UTF_8));
        } finally {
            steps.close();
        }
    }

    @Test
    void aPatchAsAJsonChangeEventIsTheFormatsBodyWithTheCdcProperties() throws Exception {
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-json-");
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            Txn.executeWrite(dsg, () -> dsg.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/s"),
                                                            NodeFactory.createURI("http://example/p"), NodeFactory.createLiteralString("o"))));
            Map<String, String> options = Map.of("url", broker.serviceUrl(), "topic", topic, "format", "json");
            try (SinkRunner runner = new SinkRunner(log, new PulsarSinkProvider(name -> null).create("ds", new OptionValues("pulsar", options),
                                                                                                   dir.resolve("sink-work")),
                                                    SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                await("the patch delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == 1);
            }
            List<PulsarTesting.Stored> stored = PulsarTesting.readTopic(broker.serviceUrl(), topic);
            assertEquals(1, stored.size());
            Map<String, String> p = stored.get(0).properties();
            assertEquals("application/json", p.get(PatchMessages.CONTENT_TYPE));
            assertEquals("1", p.get(PatchMessages.VERSION));
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            MessageFormats.JSON.write(new PatchRecord("ds", log.read(1)), expected);
            assertEquals(expected.toString(StandardCharsets.UTF_8), new String(stored.get(0).data(), StandardCharsets.UTF_8));
            assertTrue(new String(stored.get(0).data(), StandardCharsets.UTF_8).contains("http://example/s"), "the change event names the subject");
        } finally {
            dsg.close();
        }
    }

    /**
     * A patch over the topic's size limit, with later patches waiting behind it in the same
     * send: the sink pauses naming both limits, and no later version is stored past it (the
     * broker would otherwise store them, and the refused version could never follow).
     */
    @Test
    void aPatchOverTheTopicsSizeLimitPausesTheSinkWithNothingStoredPastIt() throws Exception {
        String topic = "persistent://public/default/" + PulsarTesting.unique("fuseki-cdc-size-");
        try (PulsarClient client = PulsarClient.builder().serviceUrl(broker.serviceUrl()).build()) {
            client.newProducer().topic(topic).create().close();
        }
        broker.topicMaxMessageSize(topic, 4096);
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            insert(dsg, 0, 1);
            insert(dsg, 1, 200);
            insert(dsg, 201, 1);
            insert(dsg, 202, 1);
            Map<String, String> options = Map.of("url", broker.serviceUrl(), "topic", topic);
            try (SinkRunner runner = new SinkRunner(log, new PulsarSinkProvider(name -> null).create("ds", new OptionValues("pulsar", options),
                                                                                                     dir.resolve("sink-work")),
                                                    SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                await("the sink paused", Duration.ofSeconds(60), () -> runner.status().state() == SinkState.PAUSED);
                SinkStatus st = runner.status();
                assertEquals(1, st.cursor(), "version 1 delivered, version 2 refused");
                assertTrue(st.lastError().contains("version 2") && st.lastError().contains("cdc:maxMessageBytes (now 1048576)")
                           && st.lastError().contains("max-message-size"), st.lastError());
            }
            assertEquals(List.of(1L), PulsarTesting.readTopic(broker.serviceUrl(), topic).stream().map(PulsarTesting.Stored::version).toList(),
                         "nothing stored past the refused version");
        } finally {
            dsg.close();
        }
    }

    /** One transaction adding {@code count} quads, numbered from {@code first}. */
    private static void insert(CapturingDatasetGraph dsg, int first, int count) {
        Txn.executeWrite(dsg, () -> {
            for ( int i = first ; i < first + count ; i++ )
                dsg.add(Quad.defaultGraphIRI, NodeFactory.createURI("http://example.org/s" + i), NodeFactory.createURI("http://example.org/p"),
                        NodeFactory.createLiteralString("a value long enough to fill a message quickly " + i));
        });
    }
}
