package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.test.JaasUtils;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink as Azure Event Hubs' Kafka endpoint has it: SASL with the PLAIN mechanism, the
 * password from an environment variable through {@code ${env:...}} in
 * {@code cdc:producerProperties}. Against an in-JVM KRaft broker whose listener is
 * SASL_PLAINTEXT with PLAIN users (Event Hubs adds TLS, which changes nothing here): the right
 * password delivers every version, a wrong one pauses the sink with an error that names the
 * option to fix and does not show the password.
 */
class KafkaSaslPlainIT {
    private static final String PASSWORD_VARIABLE = "EVENTHUBS_CONNECTION_STRING";
    private static final Duration WAIT = Duration.ofSeconds(90);
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @TempDir
    static Path brokerDir;
    private static KafkaClusterTestKit cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void startBroker() {
        try {
            TestKitNodes nodes = new TestKitNodes.Builder().setCombined(false).setNumBrokerNodes(1).setNumControllerNodes(1)
                                                           .setBrokerSecurityProtocol(SecurityProtocol.SASL_PLAINTEXT)
                                                           .setBaseDirectory(brokerDir).build();
            cluster = new KafkaClusterTestKit.Builder(nodes)
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("offsets.topic.num.partitions", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("auto.create.topics.enable", "false")
                .build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception | Error ex) {
            throw TestBroker.unavailable("could not start an in-JVM KRaft cluster with a SASL_PLAINTEXT listener", ex);
        }
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if ( cluster != null )
            cluster.close();
    }

    /** The sink's options as in config-examples/eventhubs.ttl, with PLAINTEXT in place of TLS and the test broker's user. */
    private static Map<String, String> options(String topic) {
        Map<String, String> o = new HashMap<>();
        o.put("bootstrapServers", cluster.bootstrapServers());
        o.put("topic", topic);
        o.put("transactional", "false");
        o.put("maxMessageBytes", "1000000");
        o.put("sendTimeoutSeconds", "10");
        o.put("producerProperties", """
            security.protocol=SASL_PLAINTEXT
            sasl.mechanism=PLAIN
            sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="%s" password="${env:%s}";
            """.formatted(JaasUtils.KAFKA_PLAIN_ADMIN, PASSWORD_VARIABLE));
        return o;
    }

    private SinkRunner runner(CapturedStore store, String topic, String password) {
        OptionValues values = new OptionValues("eventhubs", options(topic), Map.of(PASSWORD_VARIABLE, password)::get);
        return store.runner(new KafkaSinkProvider().create(store.dataset(), values, CapturedStore.workDir(dir)), FAST_RETRY);
    }

    @Test
    void theRightPasswordDeliversEveryVersion() throws Exception {
        String topic = KafkaSinkIT.uniqueTopic("sasl");
        try (CapturedStore store = CapturedStore.open(dir, "ds"); SinkRunner runner = runner(store, topic, JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD)) {
            for ( int i = 1 ; i <= 10 ; i++ )
                store.write(i);
            Await.until(WAIT, () -> runner.status().cursor() == store.log.publishedVersion(), () -> "sink caught up; status " + runner.status());
            assertEquals(SinkState.RUNNING, runner.status().state());
            assertEquals(java.util.stream.LongStream.rangeClosed(1, 10).boxed().toList(),
                         readAll(topic).stream().map(TopicRecords::version).toList(), "every version once, in order, read over SASL");
        }
    }

    @Test
    void aWrongPasswordPausesTheSinkNamingTheOption() throws Exception {
        String topic = KafkaSinkIT.uniqueTopic("sasl-wrong");
        String wrong = "wrong-" + java.util.UUID.randomUUID();
        try (CapturedStore store = CapturedStore.open(dir, "ds"); SinkRunner runner = runner(store, topic, wrong)) {
            store.write(1);
            Await.until(WAIT, () -> runner.status().state() == SinkState.PAUSED, () -> "sink paused; status " + runner.status());
            SinkStatus st = runner.status();
            assertTrue(st.lastError().contains("cdc:producerProperties"), "names the option: " + st.lastError());
            assertTrue(st.lastError().contains("Authentication failed") || st.lastError().contains("SaslAuthentication"), st.lastError());
            assertFalse(st.lastError().contains(wrong), "does not show the password: " + st.lastError());
            assertEquals(0, st.cursor());
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers());
        c.put("security.protocol", "SASL_PLAINTEXT");
        c.put("sasl.mechanism", "PLAIN");
        c.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + JaasUtils.KAFKA_PLAIN_ADMIN
                                  + "\" password=\"" + JaasUtils.KAFKA_PLAIN_ADMIN_PASSWORD + "\";");
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 60_000;
            while ( consumer.position(tp) < end && System.currentTimeMillis() < deadline )
                consumer.poll(Duration.ofMillis(500)).forEach(out::add);
        }
        return out;
    }
}
