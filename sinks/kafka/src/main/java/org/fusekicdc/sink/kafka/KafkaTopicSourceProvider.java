package org.fusekicdc.sink.kafka;

import org.fusekicdc.core.follow.DeclaredPatchSourceProvider;

/** {@code cdc:follow [ a cdc:KafkaTopic ; ... ]}: a follower reads its leader's patches from a Kafka topic. */
public final class KafkaTopicSourceProvider extends DeclaredPatchSourceProvider {
    public static final String TYPE = "KafkaTopic";

    public KafkaTopicSourceProvider() {
        super(TYPE, KafkaTopicSource.OPTIONS, (leaderDataset, options, workDir) -> new KafkaTopicSource(leaderDataset, options, workDir));
    }
}
