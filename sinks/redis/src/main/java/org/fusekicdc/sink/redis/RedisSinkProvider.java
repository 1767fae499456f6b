package org.fusekicdc.sink.redis;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider;

/**
 * The Redis Streams sink, {@code cdc:sink [ a cdc:RedisSink ; cdc:name "redis" ; cdc:url "redis://host:6379" ]}.
 * Options: {@link RedisSinkConfig#OPTIONS}.
 */
public final class RedisSinkProvider implements SinkProvider {
    public static final String TYPE = "RedisSink";

    private final Function<String, String> environment;

    public RedisSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the credential options' variables are looked up */
    RedisSinkProvider(Function<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return RedisSinkConfig.OPTIONS;
    }

    @Override
    public Sink create(String dataset, SinkOptions options, Path workDir) {
        return new RedisSink(RedisSinkConfig.from(dataset, options, environment), workDir);
    }
}
