package org.fusekicdc.sink.webhook;

import java.io.IOException;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.GeneratedDocs;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.testing.SinkDocChecks;
import org.junit.jupiter.api.Test;

/** The webhook option table of docs/sinks.md is generated from the option declarations; config-examples/webhook.ttl uses only those. */
class WebhookSinkDocTest {
    @Test
    void theOptionsTableIsGeneratedFromTheDeclarations() throws IOException {
        GeneratedDocs.check("docs/sinks.md", Map.of("webhook", WebhookSinkConfig.OPTIONS),
                            "./mvnw -B -pl sinks/webhook -am test -Dtest=WebhookSinkDocTest -Dsurefire.failIfNoSpecifiedTests=false");
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("webhook.ttl", WebhookSinkProvider.TYPE, WebhookSinkConfig.OPTIONS, "url");
    }

    @Test
    void theStandardWebhooksExampleIsAValidSink() {
        SinkDocChecks.exampleUsesOnlyKnownOptions("standard-webhooks.ttl", WebhookSinkProvider.TYPE, WebhookSinkConfig.OPTIONS, "url",
                                                  "standardWebhooksSecretEnv", "cloudEvents", "cloudEventsMode");
        WebhookSinkConfig c = WebhookSinkConfig.from("ds", new OptionValues("events-hook", SinkDocChecks.exampleOptions("standard-webhooks.ttl",
            WebhookSinkProvider.TYPE)), Map.of("WEBHOOK_SECRET", "s", "WEBHOOK_WHSEC", "whsec_" + "A".repeat(32))::get);
        assertTrue(c.structured());
        assertEquals(MessageFormats.JSON, c.messageFormat());
        assertEquals(24, c.standardWebhooksKey().length);
        assertEquals("https://data.example.org/ds", c.cloudEvents().orElseThrow().source());
    }
}
