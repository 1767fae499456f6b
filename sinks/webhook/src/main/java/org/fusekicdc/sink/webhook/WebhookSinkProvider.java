package org.fusekicdc.sink.webhook;

import java.util.function.Function;

import org.fusekicdc.core.sink.DeclaredSinkProvider;

/**
 * The webhook sink, {@code cdc:sink [ a cdc:WebhookSink ; cdc:url "https://receiver/hook" ; cdc:secretEnv "WEBHOOK_SECRET" ]}.
 * Options: {@link WebhookSinkConfig#OPTIONS}.
 */
public final class WebhookSinkProvider extends DeclaredSinkProvider {
    public static final String TYPE = "WebhookSink";

    public WebhookSinkProvider() {
        this(System::getenv);
    }

    /** @param environment where {@code cdc:secretEnv}'s variable is looked up */
    WebhookSinkProvider(Function<String, String> environment) {
        super(TYPE, WebhookSinkConfig.OPTIONS, (dataset, options, workDir) -> new WebhookSink(WebhookSinkConfig.from(dataset, options, environment)));
    }
}
