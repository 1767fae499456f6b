package org.fusekicdc.sink.kafka;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/** {@code cdc:KafkaSink}: patches to a Kafka topic. Options: {@link KafkaSinkConfig#OPTIONS}. */
public final class KafkaSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "KafkaSink";

    public KafkaSinkProvider() {
        super(TYPE, KafkaSinkConfig.OPTIONS, (dataset, options, workDir) -> new KafkaSink(KafkaSinkConfig.parse(dataset, options), workDir));
    }
}
