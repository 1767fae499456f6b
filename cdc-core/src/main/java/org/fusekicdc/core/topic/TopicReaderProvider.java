package org.fusekicdc.core.topic;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * A kind of topic reader (Kafka topic, JetStream subject), found with
 * {@link java.util.ServiceLoader}. The configuration names it by type
 * ({@code cdc:follow [ a cdc:KafkaTopic ; ... ]}).
 */
public interface TopicReaderProvider {
    /** The local name of the configuration type in the {@code cdc:} namespace, e.g. {@code KafkaTopic}. */
    String type();

    /** Options this kind of reader understands, beyond the ones every follower has. */
    List<Option<?>> options();

    /**
     * Create a reader of the patches of {@code leaderDataset}. Validate every option here, so
     * that a mistake stops start-up with a message naming it; do not connect yet.
     *
     * @param workDir a directory the reader may use for temporary files
     */
    TopicReader create(String leaderDataset, OptionValues options, Path workDir);
}
