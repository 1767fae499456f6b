package org.fusekicdc.sink.redis;

import java.util.function.Function;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/**
 * The Redis Streams sink, {@code cdc:sink [ a cdc:RedisSink ; cdc:name "redis" ; cdc:url "redis://host:6379" ]}.
 * Options: {@link RedisSinkConfig#OPTIONS}.
 */
public final class RedisSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "RedisSink";

    public RedisSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the credential options' variables are looked up */
    RedisSinkProvider(Function<String, String> environment) {
        super(TYPE, RedisSinkConfig.OPTIONS, (dataset, options, workDir) -> new RedisSink(RedisSinkConfig.from(dataset, options, environment), workDir));
    }
}
