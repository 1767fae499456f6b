package org.fusekicdc.sink.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.core.wire.PatchMessages;

/** Low-level look at a topic: every record of a partition, with a plain consumer and no fuseki-cdc code. */
final class TopicRecords {
    private TopicRecords() {}

    /** Every record of partition 0 of {@code topic} (topics of these tests have one partition). */
    static List<ConsumerRecord<byte[], byte[]>> readAll(TestBroker broker, String topic, boolean readCommitted) {
        Map<String, Object> c = broker.clientProperties();
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        TopicPartition tp = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c)) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.currentTimeMillis() + 60_000;
            while ( consumer.position(tp) < end ) {
                if ( System.currentTimeMillis() > deadline )
                    throw new AssertionError("Reading " + tp + " up to offset " + end + " took more than 60 s (at " + consumer.position(tp) + ")");
                consumer.poll(Duration.ofMillis(200)).records(tp).forEach(out::add);
            }
        }
        return out;
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static long version(ConsumerRecord<byte[], byte[]> r) {
        return Long.parseLong(header(r, PatchMessages.VERSION));
    }

    static String describe(ConsumerRecord<byte[], byte[]> r) {
        return "offset " + r.offset() + " version " + header(r, PatchMessages.VERSION) + " part " + header(r, PatchMessages.PART) + "/"
               + header(r, PatchMessages.PARTS);
    }
}
