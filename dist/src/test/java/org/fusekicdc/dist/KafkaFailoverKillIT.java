package org.fusekicdc.dist;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.sink.kafka.TestBroker;

/**
 * {@link FailoverKillContract} on Kafka: an in-JVM KRaft cluster, a transactional sink (its
 * transactional id and the promotion record fence the old leader), a fresh topic per test.
 */
class KafkaFailoverKillIT extends FailoverKillContract {
    @Override
    protected Topic newTopic() throws Exception {
        return new KafkaTopic(TestBroker.embedded(null), "fuseki-cdc-failover-" + UUID.randomUUID().toString().substring(0, 8));
    }

    private record KafkaTopic(TestBroker kafka, String topic) implements Topic {
        @Override
        public String sink() {
            return "cdc:sink [ a cdc:KafkaSink ; cdc:name \"replicas\" ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \"" + topic
                   + "\" ; cdc:transactional true ; cdc:acknowledgeWrites \"topic\" ; cdc:retryMaxMillis 1000 ] ;";
        }

        @Override
        public String follow(String moreOptions) {
            return "cdc:follow [ a cdc:KafkaTopic ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \"" + topic
                   + "\" ; cdc:retryMaxMillis 1000 " + moreOptions + "] ;";
        }

        /** The committed records only (read_committed): an aborted transaction of the killed leader is not on the topic. */
        @Override
        public long versionsOnce() {
            Properties p = new Properties();
            p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            TreeMap<Long, Integer> seen = new TreeMap<>();
            try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
                TopicPartition tp = new TopicPartition(topic, 0);
                c.assign(List.of(tp));
                c.seekToBeginning(List.of(tp));
                long end = c.endOffsets(List.of(tp)).get(tp);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while ( c.position(tp) < end && System.nanoTime() < deadline ) {
                    for ( ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500)) ) {
                        Header h = r.headers().lastHeader("cdc-version");
                        if ( h != null )
                            seen.merge(Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)), 1, Integer::sum);
                    }
                }
            }
            return eachOnce(seen);
        }

        @Override
        public void close() {
            kafka.close();
        }
    }
}
