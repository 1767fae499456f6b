package org.fusekicdc.sink.kinesis;

import java.util.function.Function;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/**
 * The Kinesis Data Streams sink, {@code cdc:sink [ a cdc:KinesisSink ; cdc:name "kinesis" ; cdc:region "eu-west-1" ]}.
 * Options: {@link KinesisSinkConfig#OPTIONS}.
 */
public final class KinesisSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "KinesisSink";

    public KinesisSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where the credential options' variables are looked up */
    KinesisSinkProvider(Function<String, String> environment) {
        super(TYPE, KinesisSinkConfig.OPTIONS, (dataset, options, workDir) -> new KinesisSink(KinesisSinkConfig.from(dataset, options, environment), workDir));
    }
}
