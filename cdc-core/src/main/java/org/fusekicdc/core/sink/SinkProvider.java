package org.fusekicdc.core.sink;

import java.nio.file.Path;
import java.util.List;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.config.OptionValues;

/**
 * A kind of sink (Kafka, NATS JetStream, ...), found with {@link java.util.ServiceLoader}. The
 * server configuration names it by type ({@code cdc:sink [ a cdc:KafkaSink ; ... ]}); the
 * provider declares its options, for validation and documentation, and creates sinks.
 */
public interface SinkProvider {
    /** The local name of the configuration type in the {@code cdc:} namespace, e.g. {@code KafkaSink}. */
    String type();

    /** Options this kind of sink understands, beyond the ones every sink has. */
    List<Option<?>> options();

    /**
     * Create a sink for a dataset. Validate every option here, so that a mistake stops
     * start-up with a message naming it.
     *
     * @param dataset the dataset's name
     * @param workDir a directory the sink may use for temporary files
     */
    Sink create(String dataset, OptionValues options, Path workDir);

}
