package org.fusekicdc.sink.kinesis;

import org.fusekicdc.core.topic.DeclaredTopicReaderProvider;

/** {@code cdc:follow [ a cdc:KinesisStream ; ... ]}: a follower reads its leader's patches from a Kinesis data stream. */
public final class KinesisStreamReaderProvider extends DeclaredTopicReaderProvider {
    public static final String TYPE = "KinesisStream";

    public KinesisStreamReaderProvider() {
        super(TYPE, KinesisStreamReader.OPTIONS, (leaderDataset, options, workDir) -> new KinesisStreamReader(leaderDataset, options, System::getenv, workDir));
    }
}
