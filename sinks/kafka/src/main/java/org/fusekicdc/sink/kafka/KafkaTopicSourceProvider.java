package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.follow.PatchSource;
import org.fusekicdc.core.follow.PatchSourceProvider;
import org.fusekicdc.core.sink.SinkOptions;

/** {@code cdc:follow [ a cdc:KafkaTopic ; ... ]}: a follower reads its leader's patches from a Kafka topic. */
public final class KafkaTopicSourceProvider implements PatchSourceProvider {
    public static final String TYPE = "KafkaTopic";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return KafkaTopicSource.OPTIONS;
    }

    @Override
    public PatchSource create(String leaderDataset, SinkOptions options, Path workDir) {
        return new KafkaTopicSource(leaderDataset, options, workDir);
    }
}
