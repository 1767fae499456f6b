package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.topic.TopicReader;

/**
 * A follower's topic reader: the topic a leader's {@link KafkaSink} writes, read with
 * {@link KafkaPatchReader} (committed records only, no consumer group: the follower's position is
 * its own change log's head).
 */
public final class KafkaTopicReader implements TopicReader {
    public static final Option<String> BOOTSTRAP_SERVERS = Option.required("bootstrapServers", "string",
        "Kafka brokers to connect to, host:port separated by commas.");
    public static final Option<String> TOPIC = Option.withoutDefault("topic", "string", "fuseki-cdc.<leader dataset>",
        "The topic the leader's Kafka sink writes.");
    public static final Option<String> CONSUMER_PROPERTIES = Option.withoutDefault("consumerProperties", "string (key=value lines)", "none",
        "Extra Kafka consumer properties (security, tuning), one key=value per line; ${env:NAME} in a value is replaced by an environment variable.");
    public static final List<Option<?>> OPTIONS = List.of(BOOTSTRAP_SERVERS, TOPIC, CONSUMER_PROPERTIES);

    private static final Duration END_CHECK = Duration.ofMillis(500);

    private final String leaderDataset;
    private final String bootstrapServers;
    private final String topic;
    private final Properties consumerProperties;
    private final Path workDir;
    private final Deque<Incoming> ready = new ArrayDeque<>();
    private KafkaPatchReader reader;

    KafkaTopicReader(String leaderDataset, OptionValues options, Path workDir) {
        this.leaderDataset = leaderDataset;
        this.bootstrapServers = options.required(BOOTSTRAP_SERVERS.name(), "\"localhost:9092\"");
        this.topic = options.string(TOPIC.name(), "fuseki-cdc." + leaderDataset);
        this.consumerProperties = options.properties(CONSUMER_PROPERTIES.name());
        for ( String owned : List.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG) ) {
            if ( consumerProperties.containsKey(owned) )
                throw options.error(CONSUMER_PROPERTIES.name(), "sets " + owned + ", which the follower decides (its position is its own change log); remove it");
        }
        this.workDir = workDir;
    }

    @Override
    public String describe() {
        return "Kafka topic " + topic + " at " + bootstrapServers;
    }

    @Override
    public void open(long afterVersion) {
        close();
        Map<String, Object> props = new HashMap<>();
        consumerProperties.forEach((k, v) -> props.put(k.toString(), v));
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        reader = new KafkaPatchReader(props, topic, leaderDataset, afterVersion, workDir);
    }

    @Override
    public Optional<Incoming> poll(Duration timeout) {
        if ( ready.isEmpty() )
            ready.addAll(reader.pollMessages(timeout));
        return Optional.ofNullable(ready.poll());
    }

    /** Asks the broker where the partition ends: nothing answering within the poll's time is no confirmation. */
    @Override
    public boolean confirmedAtEnd() {
        return ready.isEmpty() && reader.atEnd(END_CHECK);
    }

    @Override
    public void close() {
        for ( Incoming in : ready ) {
            if ( in instanceof PatchMessage m )
                m.patch().close();
        }
        ready.clear();
        if ( reader != null ) {
            reader.close();
            reader = null;
        }
    }
}
