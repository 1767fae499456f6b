package org.fusekicdc.sink.webhook;

import java.io.IOException;

import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The webhook section of docs/sinks.md lists exactly the options the code knows; config-examples/webhook.ttl uses only those. */
class WebhookSinkDocTest {
    @Test
    void theOptionsTableMatchesTheCode() throws IOException {
        SinkDocChecks.optionsTableMatches("## Webhooks: `cdc:WebhookSink`", "webhook", WebhookSinkConfig.OPTIONS);
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("webhook.ttl", WebhookSinkProvider.TYPE, WebhookSinkConfig.OPTIONS, "url");
    }
}
