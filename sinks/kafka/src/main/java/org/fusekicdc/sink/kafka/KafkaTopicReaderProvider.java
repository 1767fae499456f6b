package org.fusekicdc.sink.kafka;

import org.fusekicdc.core.topic.DeclaredTopicReaderProvider;

/** {@code cdc:follow [ a cdc:KafkaTopic ; ... ]}: a follower reads its leader's patches from a Kafka topic. */
public final class KafkaTopicReaderProvider extends DeclaredTopicReaderProvider {
    public static final String TYPE = "KafkaTopic";

    public KafkaTopicReaderProvider() {
        super(TYPE, KafkaTopicReader.OPTIONS, (leaderDataset, options, workDir) -> new KafkaTopicReader(leaderDataset, options, workDir));
    }
}
