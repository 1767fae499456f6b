package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader that starts after a version finds its place by bisection instead of reading the
 * partition from the start, also when other datasets' records share the partition.
 */
@ExtendWith(KafkaBrokerExtension.class)
class ReaderPositionIT {
    @TempDir
    Path tmp;

    @Test
    void aReaderStartsAtTheFirstRecordAfterItsVersion(TestBroker broker) throws Exception {
        String topic = "reader-position-" + UUID.randomUUID();
        broker.createTopic(topic, Map.of());
        Map<Long, Long> offsetOfVersion = new HashMap<>();
        Map<String, Object> p = new HashMap<>(broker.clientProperties());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            for ( long v = 1 ; v <= 300 ; v++ ) {
                // Another dataset's records interleave with this one's.
                producer.send(record(topic, "other", v)).get();
                offsetOfVersion.put(v, producer.send(record(topic, "ds", v)).get().offset());
            }
        }
        try (KafkaPatchReader reader = new KafkaPatchReader(broker.clientProperties(), topic, "ds", 250, tmp)) {
            assertTrue(reader.startOffset() > offsetOfVersion.get(250L) && reader.startOffset() <= offsetOfVersion.get(251L),
                       "starts between version 250 (offset " + offsetOfVersion.get(250L) + ") and 251 (offset " + offsetOfVersion.get(251L)
                       + "), not at " + reader.startOffset());
            List<Long> versions = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ( versions.size() < 50 && System.nanoTime() < deadline ) {
                for ( Patch patch : reader.poll(Duration.ofMillis(500)) )
                    versions.add(patch.version());
            }
            assertEquals(java.util.stream.LongStream.rangeClosed(251, 300).boxed().toList(), versions);
        }
        try (KafkaPatchReader fromStart = new KafkaPatchReader(broker.clientProperties(), topic, "ds", 0, tmp)) {
            assertEquals(0, fromStart.startOffset());
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String dataset, long version) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, 0, dataset.getBytes(StandardCharsets.UTF_8),
                                                                ("TX .\nTC .\n").getBytes(StandardCharsets.UTF_8));
        r.headers().add(PatchMessages.VERSION, Long.toString(version).getBytes(StandardCharsets.UTF_8));
        r.headers().add(PatchMessages.ID, UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        r.headers().add(PatchMessages.DATASET, dataset.getBytes(StandardCharsets.UTF_8));
        return r;
    }
}
