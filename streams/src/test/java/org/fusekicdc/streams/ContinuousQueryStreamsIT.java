package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.BooleanSupplier;

import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.sink.kafka.KafkaBrokerExtension;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The topology on a real broker (an in-JVM KRaft cluster) under exactly_once_v2 gives the
 * in-server engine's steps, also when stopped part-way and started again on its state.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ContinuousQueryStreamsIT {
    private static final String APPLICATION = "queries-it";
    private static final String CHANGES = "changes-it";
    private static final String STEPS = "steps-it";

    @TempDir
    Path dir;

    @Test
    void theStepsOnTheTopicAreTheInServerEnginesAcrossARestart(TestBroker broker) throws Exception {
        String changes = CHANGES;
        String stepsTopic = STEPS;
        broker.createTopic(changes, Map.of());
        broker.createTopic(stepsTopic, Map.of());
        List<ContinuousQuery> queries = Scenario.queries();
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", MessageFormats.BINARY, 1024, Scenario.commits(3, 120));
        List<Commit> logged = stream.commits();
        Map<String, List<String>> expected = Scenario.inServer(logged, queries);
        Map<String, List<String>> firstHalf = Scenario.inServer(logged.subList(0, 60), queries);
        int all = StepTopic.total(expected);

        try (StepTopic out = new StepTopic(broker.bootstrapServers(), stepsTopic)) {
            StepTopic.send(broker.bootstrapServers(), changes, stream.messages(0, 60));
            try (KafkaStreams streams = start(broker, changes, stepsTopic, queries)) {
                awaitSteps(streams, broker, "the steps of the first 60 commits", () -> out.poll() >= StepTopic.total(firstHalf));
                // Leave the group on the way out: the next instance need not wait for this member's session to time out.
                streams.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                                          .withTimeout(Duration.ofSeconds(30)));
            }
            StepTopic.send(broker.bootstrapServers(), changes, stream.messages(60, logged.size()));
            try (KafkaStreams streams = start(broker, changes, stepsTopic, queries)) {
                awaitSteps(streams, broker, "all " + all + " steps", () -> out.poll() >= all);
            }
            out.poll();
            for ( ContinuousQuery q : queries )
                assertEquals(expected.get(q.name()), out.steps().getOrDefault(q.name(), List.of()), "the steps of " + q.name());
        }
    }

    /** Wait for the steps; on a time-out, say what the application and the broker were doing. */
    private static void awaitSteps(KafkaStreams streams, TestBroker broker, String what, BooleanSupplier done) throws InterruptedException {
        try {
            TestSupport.await(what, Duration.ofSeconds(180), done);
        } catch (AssertionError ex) {
            throw new AssertionError(ex.getMessage() + "\n" + StreamsDiagnosis.describe(streams, broker.bootstrapServers(), APPLICATION,
                                                                                         List.of(CHANGES, STEPS)), ex);
        }
    }

    private KafkaStreams start(TestBroker broker, String changes, String steps, List<ContinuousQuery> queries) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, APPLICATION);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve("state").toString());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "1");
        p.put("consumer.auto.offset.reset", "earliest");
        KafkaStreams s = new KafkaStreams(ContinuousQueryTopology.build(changes, steps, queries, StreamEngineConfig.DEFAULTS, ProcessorHarness.COMMITS_ONLY), p);
        s.start();
        return s;
    }
}
