package org.fusekicdc.streams;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.fusekicdc.core.wire.StepMessages;

/** Writing a change topic and reading a step topic on a real broker, committed records only. */
final class StepTopic implements AutoCloseable {
    private final KafkaConsumer<String, byte[]> consumer;
    private final Map<String, List<String>> steps = new LinkedHashMap<>();
    private int count;

    StepTopic(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Steps deleted before they were read fail the test at once (out of range), not by skipping to the end and waiting.
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        TopicPartition tp = new TopicPartition(topic, 0);
        consumer.assign(List.of(tp));
        consumer.seekToBeginning(List.of(tp));
    }

    /** Read what has been committed since the last call; the number of steps read so far. */
    int poll() {
        for ( ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200)) ) {
            String query = new String(r.headers().lastHeader(StepMessages.QUERY).value(), StandardCharsets.UTF_8);
            steps.computeIfAbsent(query, q -> new ArrayList<>()).add(Scenario.canonical(new String(r.value(), StandardCharsets.UTF_8)));
            count++;
        }
        return count;
    }

    /** Each query's steps as read, in order, canonical. */
    Map<String, List<String>> steps() {
        return steps;
    }

    static int total(Map<String, List<String>> steps) {
        return steps.values().stream().mapToInt(List::size).sum();
    }

    /** Send the messages of a change topic, keyed by dataset, with their headers, and wait until the broker has them. */
    static void send(String bootstrap, String topic, List<ChangeTopic.Message> messages) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
            for ( ChangeTopic.Message m : messages ) {
                ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, null, m.timestamp(), m.key(), m.value());
                m.headers().forEach((k, v) -> r.headers().add(k, v.getBytes(StandardCharsets.UTF_8)));
                producer.send(r);
            }
            producer.flush();
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
