package org.fusekicdc.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.sink.kafka.KafkaBrokerExtension;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar, killed with SIGKILL while it works through the change topic and started
 * again, leaves on the step topic (read committed) exactly the in-server engine's steps: none
 * repeated, none missing; also those of the queries split by key (the grouped aggregates of the
 * scenario, over three key partitions), whose events, parts and steps cross two repartition topics.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ExactlyOnceUnderKillIT {
    private static final String APPLICATION = "queries-kill";
    private static final String CHANGES = "changes-kill";
    private static final String STEPS = "steps-kill";

    @TempDir
    Path dir;

    @Test
    void aKilledInstanceRestartedRepeatsAndLosesNoStep(TestBroker broker) throws Exception {
        String changes = CHANGES;
        String stepsTopic = STEPS;
        broker.createTopic(changes, Map.of());
        broker.createTopic(stepsTopic, Map.of());
        List<ContinuousQuery> queries = Scenario.queries();
        ChangeTopic.Stream stream = ChangeTopic.publishAll(dir, "ds", MessageFormats.TEXT, 1024, Scenario.commits(4, 400));
        List<Commit> logged = stream.commits();
        Map<String, List<String>> expected = Scenario.inServer(logged, queries);
        int all = StepTopic.total(expected);
        int firstBatch = StepTopic.total(Scenario.inServer(logged.subList(0, 100), queries));
        Path props = properties(broker, changes, stepsTopic);

        try (StepTopic out = new StepTopic(broker.bootstrapServers(), stepsTopic)) {
            StepTopic.send(broker.bootstrapServers(), changes, stream.messages(0, 100));
            try (AppProcess app = AppProcess.start(props, dir.resolve("app-1.log"))) {
                await(broker, app, "some steps from the first instance", Duration.ofSeconds(180), () -> out.poll() > 20 || !app.alive());
                assertTrue(app.alive(), "the application runs: " + app.output());
                assertTrue(app.output().contains("Queries split by key over 3 partition(s): [urn:q:room-average, urn:q:busy-sensors, urn:q:removed-values]"),
                           "the grouped aggregates are split by key: " + app.output());
                // More work arrives, and the instance dies in the middle of it.
                StepTopic.send(broker.bootstrapServers(), changes, stream.messages(100, logged.size()));
                await(broker, app, "steps of the later commits", Duration.ofSeconds(180), () -> out.poll() > firstBatch);
                app.kill();
            }
            int beforeRestart = out.poll();
            assertTrue(beforeRestart < all, "the instance was killed before it had done the work: " + beforeRestart + " of " + all);
            try (AppProcess app = AppProcess.start(props, dir.resolve("app-2.log"))) {
                await(broker, app, "all " + all + " steps (" + beforeRestart + " read before the kill)", Duration.ofSeconds(300),
                      () -> out.poll() >= all || !app.alive());
                assertTrue(app.alive(), "the restarted application runs: " + app.output());
                out.poll();
            }
            for ( ContinuousQuery q : queries )
                assertEquals(expected.get(q.name()), out.steps().getOrDefault(q.name(), List.of()), "the steps of " + q.name());
            assertEquals(all, StepTopic.total(out.steps()), "no step more");
        }
        // The keyed stage's window store: its changelog is deleted by append time, not by the (months old) commit times.
        Config keyed = changelogConfig(broker, ContinuousQueryTopology.KEYED_STORE);
        assertEquals("LogAppendTime", keyed.get(TopicConfig.MESSAGE_TIMESTAMP_TYPE_CONFIG).value());
        assertEquals("compact,delete", keyed.get(TopicConfig.CLEANUP_POLICY_CONFIG).value());
    }

    private static Config changelogConfig(TestBroker broker, String store) throws Exception {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, APPLICATION + "-" + store + "-changelog");
        try (Admin admin = broker.admin()) {
            return admin.describeConfigs(List.of(topic)).all().get().get(topic);
        }
    }

    @Test
    void aConfigurationErrorExitsWithStatus2AndSaysWhatToSet() throws Exception {
        Path props = dir.resolve("bad.properties");
        Files.writeString(props, "bootstrap.servers=localhost:1\n");
        try (AppProcess app = AppProcess.start(props, dir.resolve("bad.log"))) {
            assertEquals(2, app.waitFor());
            assertTrue(app.output().contains("fusekicdc.change.topic is required"), app.output());
        }
    }

    /** Wait; on a time-out, say what the application printed last and what the broker holds. */
    private static void await(TestBroker broker, AppProcess app, String what, Duration timeout, BooleanSupplier done)
        throws InterruptedException, IOException {
        try {
            TestSupport.await(what, timeout, done);
        } catch (AssertionError ex) {
            String log = app.output();
            fail(ex.getMessage() + "\n" + StreamsDiagnosis.describe(null, broker.bootstrapServers(), APPLICATION, List.of(CHANGES, STEPS))
                 + "\nthe application's output ends:\n" + log.substring(Math.max(0, log.length() - 4000)));
        }
    }

    private Path properties(TestBroker broker, String changes, String steps) throws Exception {
        List<String> files = new ArrayList<>();
        for ( int i = 0; i < Scenario.QUERIES.size(); i++ ) {
            Path f = dir.resolve("q" + i + ".rq");
            Files.writeString(f, Scenario.PREFIXES + Scenario.QUERIES.get(i));
            files.add(f.getFileName().toString());
        }
        Path p = dir.resolve("app.properties");
        Files.writeString(p, String.join("\n",
            "bootstrap.servers=" + broker.bootstrapServers(),
            "application.id=" + APPLICATION,
            "fusekicdc.change.topic=" + changes,
            "fusekicdc.step.topic=" + steps,
            "fusekicdc.queries=" + String.join(",", files),
            "state.dir=" + dir.resolve("state"),
            "commit.interval.ms=100",
            "fusekicdc.key.partitions=3",
            // The scenario's commit times are months ago: windows close on commits only, as in the in-server engine it is compared with.
            "fusekicdc.window.close.delay.ms=" + ProcessorHarness.COMMITS_ONLY.allowedDelay().toMillis(),
            "replication.factor=1",
            "consumer.auto.offset.reset=earliest",
            // The killed member's partitions move after its session times out: short here, the test waits for it.
            "consumer.session.timeout.ms=6000",
            "consumer.heartbeat.interval.ms=1000",
            ""));
        return p;
    }
}
