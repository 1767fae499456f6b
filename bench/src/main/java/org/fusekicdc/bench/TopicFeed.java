package org.fusekicdc.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fusekicdc.sink.kafka.TestBroker;

/**
 * Puts a {@link PatchStream}'s messages on one-partition topics as the Kafka sink does (key =
 * dataset name, headers as UTF-8, partition 0). The topics stamp each record with the broker's
 * append time ({@code message.timestamp.type=LogAppendTime}), which the lag is measured from.
 */
final class TopicFeed implements AutoCloseable {
    private static final byte[] KEY = PatchStream.DATASET.getBytes(StandardCharsets.UTF_8);
    private final TestBroker kafka;
    private final KafkaProducer<byte[], byte[]> producer;

    TopicFeed(TestBroker kafka) {
        this.kafka = kafka;
        Map<String, Object> p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, TestBroker.MESSAGE_MAX_BYTES + 64 * 1024);
        this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    void createTopic(String topic) throws Exception {
        kafka.createTopic(topic, Map.of("message.timestamp.type", "LogAppendTime"));
    }

    /** Send all, as fast as the producer goes, and wait until the broker has them. */
    void sendAll(String topic, List<PatchStream.Message> messages) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>(messages.size());
        for ( PatchStream.Message m : messages )
            sent.add(producer.send(record(topic, m)));
        producer.flush();
        for ( Future<RecordMetadata> f : sent )
            f.get(60, TimeUnit.SECONDS);
    }

    /**
     * Send at {@code perSecond} messages a second on a fixed schedule (a late send does not
     * shift the ones after it) and return each message's append time on the topic, epoch ms.
     */
    long[] sendAt(String topic, List<PatchStream.Message> messages, int perSecond) throws Exception {
        List<Future<RecordMetadata>> sent = new ArrayList<>(messages.size());
        long start = System.nanoTime();
        for ( int i = 0 ; i < messages.size() ; i++ ) {
            long wait = start + (long)(i * 1e9 / perSecond) - System.nanoTime();
            if ( wait > 0 )
                LockSupport.parkNanos(wait);
            sent.add(producer.send(record(topic, messages.get(i))));
        }
        long[] appended = new long[messages.size()];
        for ( int i = 0 ; i < appended.length ; i++ )
            appended[i] = sent.get(i).get(60, TimeUnit.SECONDS).timestamp();
        return appended;
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, PatchStream.Message m) {
        RecordHeaders headers = new RecordHeaders();
        m.headers().forEach((k, v) -> headers.add(k, v.getBytes(StandardCharsets.UTF_8)));
        return new ProducerRecord<>(topic, 0, KEY, m.value(), headers);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
