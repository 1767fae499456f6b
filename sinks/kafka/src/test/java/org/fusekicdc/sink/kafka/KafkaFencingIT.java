package org.fusekicdc.sink.kafka;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.common.header.Header;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.follow.PromotionRecord;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.contract.FencingContract;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Failover on Kafka, with two servers' logs and transactional sinks (one transactional id) on
 * one topic. An old leader still running when the promoted follower's sink claims the
 * transactional id is fenced by Kafka's producer epoch at its next write. The promoted
 * follower's promotion record fences an old leader restarted with its old configuration before
 * the new leader has taken any write: without the record the topic would end with the old
 * leader's own last patch, and it would claim the transactional id back.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaFencingIT extends FencingContract {
    private static final SinkConfig TOPIC_ACK = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .withAcknowledgeWrites(SinkConfig.Acknowledge.DESTINATION, Duration.ofSeconds(10));

    private final String topic = "fuseki-cdc-fencing-" + UUID.randomUUID().toString().substring(0, 8);
    private TestBroker broker;

    @BeforeEach
    void broker(TestBroker broker) {
        this.broker = broker;
    }

    @Test
    void anOldLeaderStillRunningIsFencedAtItsNextWriteAndSaysSo() throws Exception {
        try (SinkRunner oldRunner = startOldLeadersSink()) {
            write(oldLeader, "s1");
            write(oldLeader, "s2");
            await("the old leader publishes versions 1-2", STEP, () -> oldRunner.status().cursor() == 2);
            LogReplay.follow(oldLog, promoted);

            // Promotion while the old leader runs: the new sink claims the transactional id (a new producer epoch) and publishes the record.
            assertEquals(3, PromotionRecord.commit(promoted).version());
            try (SinkRunner newRunner = startNewLeadersSink()) {
                await("the new leader publishes its promotion record", STEP, () -> newRunner.status().cursor() == 3);

                // The old leader, cut off from the load balancer but alive, commits one more write: its producer's epoch is stale
                // (the broker refuses the send), and the partition's last patch, read again, is not its own.
                write(oldLeader, "zombie");
                await("the old leader is fenced", STEP, () -> oldFenced.get() != null);
                assertFalse(oldRunner.awaitDestination(3, 0), "the old leader's version 3 was never acknowledged by the topic");
                assertTrue(oldFenced.get().contains("where this server's log holds patch " + oldLog.idOf(3)), oldFenced.get());
                SinkStatus status = oldRunner.status();
                assertEquals(SinkState.PAUSED, status.state());
                assertEquals(2, status.cursor(), "the old leader published nothing after the promotion");
                assertEquals(oldFenced.get(), status.lastError(), "its status says why");
                assertTrue(status.lastError().contains("Dataset 'ds' is fenced") && status.lastError().contains("rejoin it as a follower"),
                           "the status says it is fenced and what to do: " + status.lastError());

                write(promoted, "new4");
                await("the new leader goes on", STEP, () -> newRunner.status().cursor() == 4);
            }
        }
        assertTopicHolds(4);
    }

    @Override
    protected SinkRunner runner(ChangeLog log, String server) {
        OptionValues o = new OptionValues("replicas", Map.of("bootstrapServers", broker.bootstrapServers(), "topic", topic, "transactional", "true",
                                                            "sendTimeoutSeconds", "10"));
        return new SinkRunner(log, new KafkaSinkProvider().create("ds", o, work.resolve(server + "-sink")), TOPIC_ACK);
    }

    /** The committed records (read_committed): an aborted transaction is not on the topic. */
    @Override
    protected List<Published> published() {
        return TopicRecords.readAll(broker, topic, true).stream().map(r -> {
            Map<String, String> headers = new HashMap<>();
            for ( Header h : r.headers() )
                headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
            return new Published(headers, r.value());
        }).toList();
    }
}
