package org.fusekicdc.sink.nats;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.follow.PatchSource;
import org.fusekicdc.core.follow.PatchSourceProvider;
import org.fusekicdc.core.sink.SinkOptions;

/** {@code cdc:follow [ a cdc:JetStreamSubject ; ... ]}: a follower reads its leader's patches from a JetStream subject. */
public final class NatsSubjectSourceProvider implements PatchSourceProvider {
    public static final String TYPE = "JetStreamSubject";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return NatsSubjectSource.OPTIONS;
    }

    @Override
    public PatchSource create(String leaderDataset, SinkOptions options, Path workDir) {
        return new NatsSubjectSource(leaderDataset, options, System::getenv, workDir);
    }
}
