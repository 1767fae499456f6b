package org.fusekicdc.sink.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The settings of the Kafka clients a sink uses: its producer (idempotent, every record
 * acknowledged by all replicas), and the admin client and consumer it opens with, which share
 * the producer properties that mean something to them (security, networking).
 */
final class KafkaClientSettings {
    private KafkaClientSettings() {}

    static Map<String, Object> producer(KafkaSinkConfig config) {
        Map<String, Object> p = new HashMap<>();
        long sendMs = config.sendTimeout().toMillis();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(Math.max(1_048_576, config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES)));
        long buffer = 2L * (config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES);
        if ( buffer > 32L * 1024 * 1024 )
            p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(buffer));
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Long.toString(sendMs));
        // Records pile up into batches by themselves while earlier requests are in flight, so
        // lingering (Kafka 4's default is 5 ms) only adds latency to a patch that comes alone.
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        // A sink that is behind catches up in requests as large as a record may be, not 16 KB ones.
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(Math.min(1_048_576, config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES)));
        p.putAll(asMap(config.producerProperties()));
        // The producer's own give-up time must end within the sink's, so a send reported as
        // failed is no longer in flight when the sink retries.
        long linger = Long.parseLong(String.valueOf(p.get(ProducerConfig.LINGER_MS_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Long.toString(sendMs));
        long delivery = Long.parseLong(String.valueOf(p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)).trim());
        p.putIfAbsent(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(Math.min(30_000, delivery - linger)));
        if ( config.transactional() )
            p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId());
        return p;
    }

    static Map<String, Object> admin(KafkaSinkConfig config) {
        Map<String, Object> a = shared(config, AdminClientConfig.configNames());
        a.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        a.put(AdminClientConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink() + "-admin");
        a.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)config.sendTimeout().toMillis());
        a.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)Math.min(30_000, config.sendTimeout().toMillis()));
        return a;
    }

    static Map<String, Object> consumer(KafkaSinkConfig config, String role) {
        Map<String, Object> c = shared(config, ConsumerConfig.configNames());
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "fuseki-cdc-" + config.dataset() + "-" + config.sink() + "-" + role);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int)config.sendTimeout().toMillis());
        c.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int)Math.min(30_000, config.sendTimeout().toMillis()));
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return c;
    }

    /** The producer properties that also mean something to another client (security, networking). */
    private static Map<String, Object> shared(KafkaSinkConfig config, Set<String> names) {
        Map<String, Object> m = new HashMap<>();
        asMap(config.producerProperties()).forEach((k, v) -> {
            if ( names.contains(k) )
                m.put(k, v);
        });
        return m;
    }

    private static Map<String, Object> asMap(Properties p) {
        Map<String, Object> m = new HashMap<>();
        p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
        return m;
    }
}
