package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;

import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.SinkProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Option parsing and checking, and the client settings the sink derives; no broker needed. */
class KafkaSinkConfigTest {
    private static KafkaSinkConfig parse(Map<String, String> extra) {
        return parse("ds", extra, Map.of());
    }

    private static KafkaSinkConfig parse(String dataset, Map<String, String> extra, Map<String, String> env) {
        Map<String, String> o = new HashMap<>();
        o.put("bootstrapServers", "broker1:9092,broker2:9092");
        o.putAll(extra);
        return KafkaSinkConfig.parse(dataset, new OptionValues("kafka", o, env::get));
    }

    private static String error(Map<String, String> extra) {
        return assertThrows(CdcConfigException.class, () -> parse(extra)).getMessage();
    }

    @Test
    void defaults() {
        KafkaSinkConfig c = parse(Map.of());
        assertEquals("broker1:9092,broker2:9092", c.bootstrapServers());
        assertEquals("fuseki-cdc.ds", c.topic());
        assertEquals(PatchRecord.TEXT, c.contentType());
        assertEquals(1_000_000, c.maxMessageBytes());
        assertFalse(c.transactional());
        assertTrue(c.createTopic());
        assertEquals(Optional.empty(), c.replicationFactor());
        assertEquals(Duration.ofSeconds(30), c.sendTimeout());
        assertEquals("fuseki-cdc-ds-kafka", c.transactionalId());
    }

    @Test
    void everyOptionIsRead() {
        KafkaSinkConfig c = parse(Map.of("topic", "patches", "format", "binary", "maxMessageBytes", "500000", "transactional", "true",
                                         "createTopic", "false", "replicationFactor", "3", "sendTimeoutSeconds", "12",
                                         "producerProperties", "compression.type=zstd\nlinger.ms=20"));
        assertEquals("patches", c.topic());
        assertEquals(PatchRecord.BINARY, c.contentType());
        assertEquals(500_000, c.maxMessageBytes());
        assertTrue(c.transactional());
        assertFalse(c.createTopic());
        assertEquals(Optional.of((short)3), c.replicationFactor());
        assertEquals(Duration.ofSeconds(12), c.sendTimeout());
        assertEquals("zstd", c.producerProperties().getProperty("compression.type"));
    }

    @Test
    void bootstrapServersIsRequired() {
        String msg = assertThrows(CdcConfigException.class, () -> KafkaSinkConfig.parse("ds", new OptionValues("kafka", Map.of()))).getMessage();
        assertTrue(msg.contains("cdc:bootstrapServers is required"), msg);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        acks=1                                     | acks=1                                     | set acks=all
        acks=0                                     | acks=0                                     | remove the setting
        enable.idempotence=false                   | enable.idempotence=false                   | remove the setting
        max.in.flight.requests.per.connection=6    | max.in.flight.requests.per.connection=6    | from 1 to 5
        max.in.flight.requests.per.connection=x    | max.in.flight.requests.per.connection=x    | not a whole number
        retries=0                                  | retries=0                                  | remove the setting
        transactional.id=mine                      | transactional.id=mine                      | cdc:transactional true
        key.serializer=org.example.S               | key.serializer=org.example.S               | remove it
        value.serializer=org.example.S             | value.serializer=org.example.S             | remove it
        partitioner.class=org.example.P            | partitioner.class=org.example.P            | remove it
        bootstrap.servers=elsewhere:9092           | bootstrap.servers=elsewhere:9092           | cdc:bootstrapServers instead
        max.request.size=100000                    | max.request.size=100000                    | lower cdc:maxMessageBytes
        buffer.memory=1000                         | buffer.memory=1000                         | raise it
        delivery.timeout.ms=120000                 | delivery.timeout.ms=120000                 | raise cdc:sendTimeoutSeconds
        request.timeout.ms=40000                   | request.timeout.ms=40000                   | raise cdc:sendTimeoutSeconds
        isolation.level=read_uncommitted           | isolation.level=read_uncommitted           | remove it
        """)
    void conflictingProducerPropertiesAreRefusedNamingKeyValueAndFix(String line, String named, String fix) {
        String msg = error(Map.of("producerProperties", line));
        assertTrue(msg.startsWith("Sink 'kafka': cdc:producerProperties "), msg);
        assertTrue(msg.contains(named), () -> "names " + named + ": " + msg);
        assertTrue(msg.contains(fix), () -> "says " + fix + ": " + msg);
    }

    @Test
    void compatibleProducerPropertiesAreAccepted() {
        parse(Map.of("producerProperties", "acks=all\nenable.idempotence=true\nmax.in.flight.requests.per.connection=1\nretries=10"));
        parse(Map.of("producerProperties", "acks=-1\nmax.request.size=2000000\ndelivery.timeout.ms=20000\nrequest.timeout.ms=10000"));
    }

    @Test
    void secretsComeFromTheEnvironmentAndAreNotLogged() {
        KafkaSinkConfig c = parse("ds", Map.of("producerProperties", """
            security.protocol=SASL_SSL
            sasl.mechanism=PLAIN
            sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="cdc" password="${env:KAFKA_PASSWORD}";
            """), Map.of("KAFKA_PASSWORD", "s3cret"));
        assertTrue(c.producerProperties().getProperty("sasl.jaas.config").contains("password=\"s3cret\""));
        KafkaSink sink = new KafkaSink(c, Path.of("work"));
        Map<String, Object> producer = KafkaClientSettings.producer(sink.config());
        assertEquals("SASL_SSL", producer.get("security.protocol"));
        String logged = KafkaSinkConfig.masked(producer);
        assertFalse(logged.contains("s3cret"), logged);
        assertTrue(logged.contains("key.serializer=org.apache.kafka.common.serialization.ByteArraySerializer"), logged);
        // Security settings reach the consumer the sink uses at start-up, producer-only ones do not.
        Map<String, Object> consumer = KafkaClientSettings.consumer(sink.config(), "tail");
        assertEquals("SASL_SSL", consumer.get("security.protocol"));
        assertTrue(String.valueOf(consumer.get("sasl.jaas.config")).contains("s3cret"));
        assertFalse(consumer.containsKey("acks"));
        assertEquals("read_committed", consumer.get("isolation.level"));

        String msg = assertThrows(CdcConfigException.class,
                                  () -> parse("ds", Map.of("producerProperties", "sasl.jaas.config=${env:NOT_SET}"), Map.of())).getMessage();
        assertTrue(msg.contains("NOT_SET, which is not set"), msg);
    }

    @Test
    void producerIsIdempotentWithTimeoutsWithinTheSendTimeout() {
        KafkaSink sink = new KafkaSink(parse(Map.of("sendTimeoutSeconds", "8", "maxMessageBytes", "2000000")), Path.of("work"));
        Map<String, Object> p = KafkaClientSettings.producer(sink.config());
        assertEquals("true", p.get("enable.idempotence"));
        assertEquals("all", p.get("acks"));
        assertEquals("5", p.get("max.in.flight.requests.per.connection"));
        assertEquals("8000", p.get("delivery.timeout.ms"));
        assertEquals("8000", p.get("max.block.ms"));
        assertEquals("0", p.get("linger.ms"), "no lingering: records batch by themselves while requests are in flight");
        assertEquals("1048576", p.get("batch.size"), "a sink that is behind catches up in large requests, capped at 1 MiB");
        assertTrue(Long.parseLong((String)p.get("request.timeout.ms")) <= 8000);
        assertEquals(Integer.toString(2_000_000 + KafkaSinkConfig.RECORD_OVERHEAD_BYTES), p.get("max.request.size"));
        assertFalse(p.containsKey("transactional.id"));
        KafkaSink txn = new KafkaSink(parse(Map.of("transactional", "true")), Path.of("work"));
        assertEquals("fuseki-cdc-ds-kafka", KafkaClientSettings.producer(txn.config()).get("transactional.id"));
    }

    @Test
    void badValuesAreRefused() {
        assertTrue(error(Map.of("format", "xml")).contains("cdc:format must be one of text, binary, json, entity, step, got 'xml'"));
        assertTrue(error(Map.of("cloudEventsType", "x y")).contains("cdc:cloudEventsType is set but cdc:cloudEvents is not true"));
        assertTrue(error(Map.of("cloudEvents", "true", "cloudEventsType", "x y")).contains("not a reverse-DNS name"));
        assertTrue(error(Map.of("cloudEvents", "true", "cloudEventsSource", "http://a b")).contains("not a URI reference"));
        assertTrue(error(Map.of("maxMessageBytes", "100")).contains("cdc:maxMessageBytes must be from 1024"));
        assertTrue(error(Map.of("transactional", "yes")).contains("cdc:transactional must be true or false"));
        assertTrue(error(Map.of("topic", "a/b")).contains("'a/b' is not a legal Kafka topic name"));
        assertTrue(error(Map.of("replicationFactor", "0")).contains("cdc:replicationFactor must be from 1"));
        assertTrue(error(Map.of("sendTimeoutSeconds", "0")).contains("cdc:sendTimeoutSeconds must be from 1"));
        String msg = assertThrows(CdcConfigException.class, () -> parse("my ds", Map.of(), Map.of())).getMessage();
        assertTrue(msg.contains("cdc:topic is needed: the default topic name 'fuseki-cdc.my ds'"), msg);
    }

    @Test
    void theDatasetGoesToThePartitionKafkasDefaultPartitionerPicks() {
        for ( String dataset : List.of("ds", "books", "a-much-longer-dataset-name", "ü") ) {
            byte[] key = dataset.getBytes(StandardCharsets.UTF_8);
            for ( int partitions : new int[] { 1, 2, 3, 7, 12, 50 } )
                assertEquals(BuiltInPartitioner.partitionForKey(key, partitions), KafkaSink.partitionFor(key, partitions), dataset + " / " + partitions);
        }
    }

    @Test
    void theProviderIsFoundAndDeclaresEveryOption() {
        SinkProvider p = ServiceLoader.load(SinkProvider.class).stream().map(ServiceLoader.Provider::get)
                                      .filter(x -> x.type().equals("KafkaSink")).findFirst().orElseThrow();
        assertEquals(List.of("bootstrapServers", "topic", "format", "maxMessageBytes", "transactional", "createTopic", "replicationFactor",
                             "producerProperties", "sendTimeoutSeconds", "cloudEvents", "cloudEventsSource", "cloudEventsType", "entityContext", "entityFrame",
                             "entityDepth"),
                     p.options().stream().map(Option::name).toList());
        assertTrue(p.create("ds", new OptionValues("k", Map.of("bootstrapServers", "b:9092")), Path.of("work")) instanceof KafkaSink);
    }
}
