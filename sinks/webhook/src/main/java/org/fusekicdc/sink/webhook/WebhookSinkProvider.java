package org.fusekicdc.sink.webhook;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

import org.fusekicdc.core.config.Option;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkProvider;

/**
 * The webhook sink, {@code cdc:sink [ a cdc:WebhookSink ; cdc:url "https://receiver/hook" ; cdc:secretEnv "WEBHOOK_SECRET" ]}.
 * Options: {@link WebhookSinkConfig#OPTIONS}.
 */
public final class WebhookSinkProvider implements SinkProvider {
    public static final String TYPE = "WebhookSink";

    private final Function<String, String> environment;

    public WebhookSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where {@code cdc:secretEnv}'s variable is looked up */
    WebhookSinkProvider(Function<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public List<Option<?>> options() {
        return WebhookSinkConfig.OPTIONS;
    }

    @Override
    public Sink create(String dataset, SinkOptions options, Path workDir) {
        return new WebhookSink(WebhookSinkConfig.from(dataset, options, environment));
    }
}
