package org.fusekicdc.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.sink.kafka.TestBroker;

/**
 * A plain Kafka consumer of a continuous query's topic (its sink's one partition), on a thread
 * of its own: each record is time-stamped when {@code poll} returns it; the record's
 * {@code cdc-timestamp} header says when the server logged the step for its sinks.
 */
final class KafkaStepReader implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;

    KafkaStepReader(TestBroker broker, String topic, StepArrivals into) {
        this.thread = Thread.ofPlatform().daemon().name("kafka-steps").start(() -> read(broker, topic, into));
    }

    private void read(TestBroker broker, String topic, StepArrivals into) {
        Map<String, Object> c = broker.clientProperties();
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            // The sink creates the topic with its first step; the broker offers no signal to wait on, so poll.
            while ( !stop && !consumer.listTopics(Duration.ofSeconds(10)).containsKey(topic) )
                Thread.sleep(50);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            while ( !stop ) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                long at = StepArrivals.nowMicros();
                for ( ConsumerRecord<byte[], byte[]> r : records ) {
                    Header logged = r.headers().lastHeader("cdc-timestamp");
                    long loggedMillis = logged == null ? -1 : Instant.parse(new String(logged.value(), StandardCharsets.UTF_8)).toEpochMilli();
                    into.received(new String(r.value(), StandardCharsets.UTF_8), at, loggedMillis);
                }
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ex) {
            if ( !stop )
                into.failed(ex.toString());
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }
}
