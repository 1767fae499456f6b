package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.sink.kafka.KafkaBrokerExtension;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configured continuous query's steps on a Kafka topic (a real in-JVM KRaft broker), read back
 * with a plain consumer: one JSON record per step, in step order, each step once also across a
 * server restart, with the step headers that name the query, the step, the version and the window.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ContinuousQueryKafkaIT {
    @TempDir
    Path work;

    private static String config(Path work, String bootstrap, String topic) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory \"", """
            cdc:continuousQuery [
                    cdc:name "count" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:count> AS SELECT (COUNT(*) AS ?n)
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT1S]
                        WHERE { WINDOW <urn:w> { ?s ex:p ?o } }\""" ;
                    cdc:sink [ a cdc:KafkaSink ; cdc:bootstrapServers "%s" ; cdc:topic "%s" ]
                ] ;
                cdc:logDirectory \"""".formatted(bootstrap, topic));
    }

    @Test
    void eachStepIsOneJsonRecordInOrderWithTheStepHeadersAndNoneIsRepeatedAfterARestart(TestBroker broker) throws Exception {
        String topic = "steps-" + System.nanoTime();
        String config = config(work, broker.bootstrapServers(), topic);
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            assertEquals(204, f.update("ds", "PREFIX ex: <http://example/> INSERT DATA { ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:p 3 }").statusCode());
            TestSupport.await("a step counting the 3 quads on the topic", Duration.ofSeconds(30),
                              () -> readAll(broker, topic).stream().anyMatch(r -> count(r) == 3));
        }
        int beforeRestart = readAll(broker, topic).size();
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            TestSupport.await("three more steps after the restart", Duration.ofSeconds(30), () -> readAll(broker, topic).size() >= beforeRestart + 3);
        }
        List<ConsumerRecord<byte[], byte[]>> records = readAll(broker, topic);
        long previousStep = -1;
        for ( int i = 0 ; i < records.size() ; i++ ) {
            ConsumerRecord<byte[], byte[]> r = records.get(i);
            JsonObject step = JSON.parse(new String(r.value(), StandardCharsets.UTF_8));
            assertEquals("application/json", header(r, "Content-Type"));
            assertEquals("count", header(r, "cdc-query"));
            assertEquals(step.get("query").getAsString().value(), header(r, "cdc-query"));
            assertEquals(String.valueOf(i + 1), header(r, "cdc-version"), "the step log position, 1, 2, 3, ...: one record per step");
            long number = Long.parseLong(header(r, "cdc-step"));
            assertEquals(number, number(step, "step"));
            if ( previousStep >= 0 )
                assertEquals(previousStep + 1, number, "consecutive windows, none repeated or skipped (also across the restart): record " + i);
            previousStep = number;
            assertEquals(String.valueOf(number(step, "version")), header(r, "cdc-evaluated-version"));
            assertEquals(step.get("windowStart").getAsString().value(), header(r, "cdc-window-start"));
            assertEquals(step.get("windowEnd").getAsString().value(), header(r, "cdc-window-end"));
            assertEquals("RSTREAM", step.get("operator").getAsString().value());
        }
        assertEquals(1, records.stream().filter(r -> count(r) == 3).count(), "the window with the insert reported once");
        assertTrue(records.size() >= beforeRestart + 3);
    }

    private static long number(JsonObject o, String field) {
        return o.get(field).getAsNumber().value().longValue();
    }

    /** The step's count, or -1 for a step of an empty window. */
    private static long count(ConsumerRecord<byte[], byte[]> r) {
        JsonObject step = JSON.parse(new String(r.value(), StandardCharsets.UTF_8));
        JsonArray rows = step.get("results").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
        if ( rows.isEmpty() || !rows.get(0).getAsObject().hasKey("n") )
            return -1;
        return Long.parseLong(rows.get(0).getAsObject().get("n").getAsObject().get("value").getAsString().value());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Every record of the topic's one partition, with a plain consumer (none when the topic does not exist yet). */
    private static List<ConsumerRecord<byte[], byte[]>> readAll(TestBroker broker, String topic) {
        Map<String, Object> c = broker.clientProperties();
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            if ( !consumer.listTopics(Duration.ofSeconds(10)).containsKey(topic) )
                return out;
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            while ( consumer.position(tp) < end )
                out.addAll(consumer.poll(Duration.ofMillis(200)).records(tp));
        }
        return out;
    }
}
