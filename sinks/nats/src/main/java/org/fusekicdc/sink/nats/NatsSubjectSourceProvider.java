package org.fusekicdc.sink.nats;

import org.fusekicdc.core.follow.DeclaredPatchSourceProvider;

/** {@code cdc:follow [ a cdc:JetStreamSubject ; ... ]}: a follower reads its leader's patches from a JetStream subject. */
public final class NatsSubjectSourceProvider extends DeclaredPatchSourceProvider {
    public static final String TYPE = "JetStreamSubject";

    public NatsSubjectSourceProvider() {
        super(TYPE, NatsSubjectSource.OPTIONS, (leaderDataset, options, workDir) -> new NatsSubjectSource(leaderDataset, options, System::getenv, workDir));
    }
}
