package org.fusekicdc.sink.kafka;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.PromotionRecord;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover on Kafka, with two servers' logs and transactional sinks (one transactional id) on
 * one topic: the promoted follower's promotion record fences an old leader restarted with its
 * old configuration before the new leader has taken any write. Without the record the topic would
 * end with the old leader's own last patch, and it would claim the transactional id back.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaFencingIT {
    private static final SinkConfig TOPIC_ACK = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(10));

    @TempDir
    Path work;

    private final String topic = "fuseki-cdc-fencing-" + UUID.randomUUID().toString().substring(0, 8);

    @Test
    void anOldLeaderRestartedRightAfterThePromotionBeforeAnyNewWriteIsFenced(TestBroker broker) throws Exception {
        try (ChangeLog oldLog = log("old"); ChangeLog newLog = log("new")) {
            CapturingDatasetGraph oldLeader = captured(oldLog, "old");
            CapturingDatasetGraph promoted = captured(newLog, "new");
            try (SinkRunner oldRunner = runner(broker, oldLog, "old")) {
                oldRunner.start();
                write(oldLeader, "s1");
                write(oldLeader, "s2");
                await("the old leader publishes versions 1-2", Duration.ofSeconds(60), () -> oldRunner.status().cursor() == 2);
            }
            LogReplay.follow(oldLog, promoted);
            // Promotion: the promotion record, published by the sink that starts with it (claiming the transactional id); no write yet.
            assertEquals(3, PromotionRecord.commit(promoted).version());
            try (SinkRunner newRunner = runner(broker, newLog, "new")) {
                newRunner.start();
                await("the new leader publishes its promotion record", Duration.ofSeconds(60), () -> newRunner.status().cursor() == 3);
            }
            // The old leader comes back with its old configuration: the topic no longer ends with its own last patch.
            AtomicReference<String> oldFenced = new AtomicReference<>();
            try (SinkRunner restarted = runner(broker, oldLog, "old")) {
                restarted.onFenced(oldFenced::set);
                restarted.start();
                await("the restarted old leader is fenced", Duration.ofSeconds(60), () -> oldFenced.get() != null);
                assertTrue(oldFenced.get().contains("version 3"), oldFenced.get());
                write(oldLeader, "zombie");
                assertEquals(SinkState.PAUSED, restarted.status().state());
                assertEquals(2, restarted.status().cursor(), "the old leader published nothing after the promotion");
            }

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, true);
            assertEquals(3, records.size(), "one record per version, the old leader's last write not among them");
            for ( int i = 0 ; i < records.size() ; i++ ) {
                assertEquals(String.valueOf(i + 1), TopicRecords.header(records.get(i), PatchMessages.VERSION));
                assertEquals(newLog.idOf(i + 1).toString(), TopicRecords.header(records.get(i), PatchMessages.ID), "version " + (i + 1) + " is the new leader's");
            }
            String third = new String(records.get(2).value(), StandardCharsets.UTF_8);
            assertTrue(third.contains("H promoted \"true\"") && !third.contains("\nA "), "version 3 is the empty promotion record: " + third);
        }
    }

    private SinkRunner runner(TestBroker broker, ChangeLog log, String server) {
        OptionValues o = new OptionValues("replicas", Map.of("bootstrapServers", broker.bootstrapServers(), "topic", topic, "transactional", "true",
                                                            "sendTimeoutSeconds", "10"));
        return new SinkRunner(log, new KafkaSinkProvider().create("ds", o, work.resolve(server + "-sink")), TOPIC_ACK);
    }

    private static void write(CapturingDatasetGraph dsg, String subjectName) {
        Quad q = Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/" + subjectName), NodeFactory.createURI("http://example/p"),
                             NodeFactory.createLiteralString(subjectName));
        Txn.executeWrite(dsg, () -> dsg.add(q));
    }

    private CapturingDatasetGraph captured(ChangeLog log, String server) {
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve(server + "-spill")));
    }

    private ChangeLog log(String server) {
        return ChangeLog.open(ChangeLogConfig.defaults(work.resolve(server + "-log"), "ds").withFsync(false));
    }
}
