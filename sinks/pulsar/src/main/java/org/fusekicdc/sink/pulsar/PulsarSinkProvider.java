package org.fusekicdc.sink.pulsar;

import java.util.function.Function;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/**
 * The Apache Pulsar sink, {@code cdc:sink [ a cdc:PulsarSink ; cdc:name "pulsar" ; cdc:url "pulsar://host:6650" ]}.
 * Options: {@link PulsarSinkConfig#OPTIONS}.
 */
public final class PulsarSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "PulsarSink";

    public PulsarSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the variable named by cdc:tokenEnv is looked up */
    PulsarSinkProvider(Function<String, String> environment) {
        super(TYPE, PulsarSinkConfig.OPTIONS, (dataset, options, workDir) -> new PulsarSink(PulsarSinkConfig.from(dataset, options, environment), workDir));
    }
}
