package org.fusekicdc.sink.nats;

import java.util.function.Function;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/**
 * The NATS JetStream sink, {@code cdc:sink [ a cdc:NatsSink ; cdc:name "nats" ; cdc:url "nats://host:4222" ]}.
 * Options: {@link NatsSinkConfig#OPTIONS}.
 */
public final class NatsSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "NatsSink";

    public NatsSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the credential options' variables are looked up */
    NatsSinkProvider(Function<String, String> environment) {
        super(TYPE, NatsSinkConfig.OPTIONS, (dataset, options, workDir) -> new NatsSink(NatsSinkConfig.from(dataset, options, environment), workDir));
    }
}
