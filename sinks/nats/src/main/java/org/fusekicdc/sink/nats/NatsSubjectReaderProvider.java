package org.fusekicdc.sink.nats;

import org.fusekicdc.core.topic.DeclaredTopicReaderProvider;

/** {@code cdc:follow [ a cdc:JetStreamSubject ; ... ]}: a follower reads its leader's patches from a JetStream subject. */
public final class NatsSubjectReaderProvider extends DeclaredTopicReaderProvider {
    public static final String TYPE = "JetStreamSubject";

    public NatsSubjectReaderProvider() {
        super(TYPE, NatsSubjectReader.OPTIONS, (leaderDataset, options, workDir) -> new NatsSubjectReader(leaderDataset, options, System::getenv, workDir));
    }
}
