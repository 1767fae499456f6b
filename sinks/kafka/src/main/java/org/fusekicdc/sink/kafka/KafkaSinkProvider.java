package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider;

/** {@code cdc:KafkaSink}: patches to a Kafka topic. Options: {@link KafkaSinkConfig#OPTIONS}. */
public final class KafkaSinkProvider implements SinkProvider {
    public static final String TYPE = "KafkaSink";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return KafkaSinkConfig.OPTIONS;
    }

    @Override
    public Sink create(String dataset, SinkOptions options, Path workDir) {
        return new KafkaSink(KafkaSinkConfig.parse(dataset, options), workDir);
    }
}
