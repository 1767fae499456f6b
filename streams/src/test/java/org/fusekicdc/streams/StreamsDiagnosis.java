package org.fusekicdc.streams;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.streams.KafkaStreams;

/**
 * What a Kafka Streams application and the broker were doing, for a test that waited in vain:
 * the application's state, its threads' counters and stacks, the group's committed offsets, each
 * topic's start (above 0 once records were deleted, by time retention for instance: those not
 * read yet are lost) and its retention, its end with and without open transactions (a
 * difference is a transaction left open), and the broker's transactions.
 */
final class StreamsDiagnosis {
    private static final Set<String> COUNTERS = Set.of("poll-total", "process-total", "commit-total", "punctuate-total",
                                                       "records-consumed-total", "record-send-total");

    private StreamsDiagnosis() {}

    /**
     * @param streams the application when it runs in this JVM, else null
     * @param group   the application id (its consumer group)
     * @param topics  the one-partition topics to look at
     */
    static String describe(KafkaStreams streams, String bootstrap, String group, List<String> topics) {
        StringBuilder out = new StringBuilder();
        if ( streams != null ) {
            out.append("Kafka Streams ").append(streams.state()).append(", threads ").append(streams.metadataForLocalThreads());
            Map<String, Double> counters = new TreeMap<>();
            streams.metrics().forEach((name, metric) -> {
                if ( COUNTERS.contains(name.name()) && metric.metricValue() instanceof Double d )
                    counters.merge(name.group() + "/" + name.name(), d, Double::sum);
            });
            out.append("\ncounters ").append(counters);
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                if ( thread.getName().startsWith(group) && thread.getName().contains("StreamThread") )
                    out.append("\nthread ").append(thread.getName()).append(' ').append(thread.getState()).append(": ")
                       .append(Arrays.stream(stack).limit(12).map(String::valueOf).collect(Collectors.joining(" <- ")));
            });
        }
        out.append('\n').append(broker(bootstrap, group, topics));
        return out.toString();
    }

    private static String broker(String bootstrap, String group, List<String> topics) {
        Map<String, Object> p = new HashMap<>();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (Admin admin = Admin.create(p)) {
            Map<TopicPartition, OffsetSpec> latest = topics.stream().collect(Collectors.toMap(t -> new TopicPartition(t, 0), t -> OffsetSpec.latest()));
            Map<TopicPartition, OffsetSpec> earliest = topics.stream().collect(Collectors.toMap(t -> new TopicPartition(t, 0), t -> OffsetSpec.earliest()));
            var start = admin.listOffsets(earliest).all().get(10, TimeUnit.SECONDS);
            var uncommitted = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get(10, TimeUnit.SECONDS);
            var committed = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(10, TimeUnit.SECONDS);
            List<ConfigResource> resources = topics.stream().map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            var configs = admin.describeConfigs(resources).all().get(10, TimeUnit.SECONDS);
            StringBuilder s = new StringBuilder("topic offsets (start / end / end of committed transactions):");
            latest.keySet().forEach(tp -> s.append(' ').append(tp).append('=').append(start.get(tp).offset()).append('/')
                                           .append(uncommitted.get(tp).offset()).append('/').append(committed.get(tp).offset())
                                           .append(" retention.ms=").append(retention(configs.get(new ConfigResource(ConfigResource.Type.TOPIC, tp.topic())))));
            s.append("\ngroup ").append(group).append(" offsets ")
             .append(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS));
            s.append("\ntransactions ");
            for ( TransactionListing t : admin.listTransactions().all().get(10, TimeUnit.SECONDS) )
                s.append(t.transactionalId()).append('=').append(t.state()).append(' ');
            return s.toString();
        } catch (Exception ex) {
            return "the broker could not be asked: " + ex;
        }
    }

    private static String retention(Config config) {
        ConfigEntry e = config == null ? null : config.get(TopicConfig.RETENTION_MS_CONFIG);
        return e == null ? "?" : e.value();
    }
}
