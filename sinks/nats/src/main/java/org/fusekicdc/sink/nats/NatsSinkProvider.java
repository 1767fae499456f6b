package org.fusekicdc.sink.nats;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider;

/**
 * The NATS JetStream sink, {@code cdc:sink [ a cdc:NatsSink ; cdc:name "nats" ; cdc:url "nats://host:4222" ]}.
 * Options: {@link NatsSinkConfig#OPTIONS}.
 */
public final class NatsSinkProvider implements SinkProvider {
    public static final String TYPE = "NatsSink";

    private final Function<String, String> environment;

    public NatsSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the credential options' variables are looked up */
    NatsSinkProvider(Function<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return NatsSinkConfig.OPTIONS;
    }

    @Override
    public Sink create(String dataset, SinkOptions options, Path workDir) {
        return new NatsSink(NatsSinkConfig.from(dataset, options, environment), workDir);
    }
}
