package org.fusekicdc.sink.pulsar;

import java.util.function.Function;

import org.fusekicdc.core.topic.DeclaredTopicReaderProvider;

/** {@code cdc:follow [ a cdc:PulsarTopic ; ... ]}: a follower reads its leader's patches from a Pulsar topic. */
public final class PulsarTopicReaderProvider extends DeclaredTopicReaderProvider {
    public static final String TYPE = "PulsarTopic";

    public PulsarTopicReaderProvider() {
        this(System::getenv);
    }

    PulsarTopicReaderProvider(Function<String, String> environment) {
        super(TYPE, PulsarTopicReader.OPTIONS, (leaderDataset, options, workDir) -> new PulsarTopicReader(leaderDataset, options, environment, workDir));
    }
}
