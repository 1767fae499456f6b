package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kinesis sink with {@code cdc:format json}: one JSON change event per patch (split over
 * several records past cdc:maxRecordBytes), valid against the schema, in version order, once
 * each, and together the dataset.
 */
class KinesisJsonEventsIT {
    private static LocalKinesis kinesis;

    @TempDir
    Path dir;

    @BeforeAll
    static void useSharedKinesis() throws Exception {
        kinesis = LocalKinesis.shared();
    }

    @Test
    void jsonChangeEventsOnceInOrderAndValid() throws Exception {
        String stream = LocalKinesis.uniqueStream("json");
        Map<String, String> options = kinesis.options(stream);
        options.put("format", "json");
        options.put("maxRecordBytes", "4096");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
            Workload workload = new Workload(5, "json");
            for ( int i = 0 ; i < 30 ; i++ )
                workload.step(dsg);
            // About 20 KB of JSON: several records.
            Txn.executeWrite(dsg, () -> {
                for ( int k = 0 ; k < 150 ; k++ )
                    dsg.add(NodeFactory.createURI("http://example/big"), NodeFactory.createURI("http://example/s" + k),
                            NodeFactory.createURI("http://example/p"), NodeFactory.createLiteralString("large " + k));
            });
            KinesisSink sink = new KinesisSink(KinesisSinkConfig.from("ds", new OptionValues("kinesis", options), System::getenv), dir.resolve("sink-work"));
            try (SinkRunner runner = new SinkRunner(log, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                TestSupport.await("delivered", Duration.ofSeconds(90), () -> runner.status().cursor() == log.publishedVersion());
            }
            List<KinesisRecords.Message> records = StreamRecords.readAll(kinesis, stream, "ds");
            assertTrue(records.size() > log.publishedVersion(), "the large event took several records");
            DatasetGraph replay = DatasetGraphFactory.createTxnMem();
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            long expected = 1;
            for ( KinesisRecords.Message m : records ) {
                assertEquals(MessageFormats.JSON_CONTENT_TYPE, m.headers().get(PatchMessages.CONTENT_TYPE));
                assertEquals(expected, Long.parseLong(m.headers().get(PatchMessages.VERSION)), "records in version order, once each");
                body.writeBytes(m.value());
                if ( Integer.parseInt(m.headers().get(PatchMessages.PART)) + 1 < Integer.parseInt(m.headers().get(PatchMessages.PARTS)) )
                    continue;
                JsonNode event = ChangeEventSchema.assertSameChanges(LogReplay.patch(log.read(expected)), body.toByteArray());
                assertEquals(m.headers().get(PatchMessages.ID), event.get("id").asText());
                ChangeEventSchema.apply(event, replay);
                body.reset();
                expected++;
            }
            assertEquals(log.publishedVersion() + 1, expected, "every version's event");
            LogReplay.assertSameDataset(dsg, replay, "replay of the JSON events of " + stream);
            dsg.close();
        }
    }
}
