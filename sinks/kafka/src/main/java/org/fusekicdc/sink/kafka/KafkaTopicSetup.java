package org.fusekicdc.sink.kafka;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.fusekicdc.core.sink.SinkException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The Kafka sink's topic, as {@link KafkaSink#open} finds it: created when allowed and missing, and checked to suit the sink. */
final class KafkaTopicSetup {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSink.class);

    private final KafkaSinkConfig config;
    private final Admin admin;

    KafkaTopicSetup(KafkaSinkConfig config, Admin admin) {
        this.config = config;
        this.admin = admin;
    }

    /** The topic's partition count, after creating the topic if allowed and needed. */
    int ensureTopic() throws Exception {
        long timeout = config.sendTimeout().toMillis();
        long deadline = System.currentTimeMillis() + timeout;
        boolean created = false;
        while ( true ) {
            try {
                TopicDescription d = admin.describeTopics(List.of(config.topic())).topicNameValues().get(config.topic())
                                          .get(timeout, TimeUnit.MILLISECONDS);
                return d.partitions().size();
            } catch (ExecutionException ex) {
                if ( !(ex.getCause() instanceof UnknownTopicOrPartitionException) )
                    throw ex;
                if ( created ) {
                    // Metadata of a topic just created takes a moment to reach every broker.
                    if ( System.currentTimeMillis() > deadline )
                        throw ex;
                    Thread.sleep(100);
                    continue;
                }
                if ( !config.createTopic() )
                    throw SinkException.transientFailure("Kafka sink '" + config.sink() + "': topic " + config.topic() + " does not exist and cdc:"
                                                         + KafkaSinkConfig.CREATE_TOPIC.name() + " is false. Create the topic (one partition is enough)"
                                                         + " or set cdc:" + KafkaSinkConfig.CREATE_TOPIC.name() + " true; retrying until it exists", null);
                NewTopic t = new NewTopic(config.topic(), Optional.of(1), config.replicationFactor());
                try {
                    admin.createTopics(List.of(t)).all().get(timeout, TimeUnit.MILLISECONDS);
                    LOG.info("Dataset '{}': Kafka sink '{}' created topic {} (1 partition, replication factor {})", config.dataset(), config.sink(),
                             config.topic(), config.replicationFactor().map(String::valueOf).orElse("of the broker's default"));
                } catch (ExecutionException cex) {
                    if ( !(cex.getCause() instanceof TopicExistsException) )
                        throw cex;
                }
                created = true;
            }
        }
    }

    /**
     * Refuse a compacted topic (it would keep only the dataset's latest record); warn when the
     * topic cannot take a record as large as the sink may send.
     */
    void checkTopicConfig() throws InterruptedException, SinkException {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, config.topic());
        try {
            Config c = admin.describeConfigs(List.of(r)).all().get(config.sendTimeout().toMillis(), TimeUnit.MILLISECONDS).get(r);
            if ( c == null )
                return;
            ConfigEntry policy = c.get(TopicConfig.CLEANUP_POLICY_CONFIG);
            if ( policy != null && policy.value() != null && policy.value().contains(TopicConfig.CLEANUP_POLICY_COMPACT) )
                throw SinkException.permanentSinkFailure("Kafka sink '" + config.sink() + "': topic " + config.topic() + " has cleanup.policy="
                                                         + policy.value() + ": compaction keeps only the latest record of each key, and every patch"
                                                         + " of dataset '" + config.dataset() + "' has the same key. Set the topic's cleanup.policy"
                                                         + " to delete, or point cdc:" + KafkaSinkConfig.TOPIC.name() + " at another topic", null);
            ConfigEntry e = c.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if ( e == null || e.value() == null )
                return;
            long limit = Long.parseLong(e.value());
            long needed = (long)config.maxMessageBytes() + KafkaSinkConfig.RECORD_OVERHEAD_BYTES;
            if ( limit < needed )
                LOG.warn("Dataset '{}': Kafka sink '{}': topic {} accepts records of at most {} bytes (max.message.bytes) but cdc:{} is {}:"
                         + " a patch larger than about {} bytes will be refused. Raise the topic's max.message.bytes to at least {}{}.",
                         config.dataset(), config.sink(), config.topic(), limit, KafkaSinkConfig.MAX_MESSAGE_BYTES.name(), config.maxMessageBytes(),
                         limit, needed, limit - KafkaSinkConfig.RECORD_OVERHEAD_BYTES >= 1024
                             ? ", or lower cdc:" + KafkaSinkConfig.MAX_MESSAGE_BYTES.name() + " to at most " + (limit - KafkaSinkConfig.RECORD_OVERHEAD_BYTES)
                             : "");
        } catch (ExecutionException | TimeoutException | NumberFormatException ex) {
            // Only a check: without DESCRIBE_CONFIGS rights, delivery reports a size problem itself.
            LOG.debug("Dataset '{}': Kafka sink '{}': cannot read the configuration of topic {}: {}", config.dataset(), config.sink(), config.topic(),
                      ex.toString());
        }
    }
}
