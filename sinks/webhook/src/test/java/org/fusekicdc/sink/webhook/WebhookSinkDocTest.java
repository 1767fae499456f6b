package org.fusekicdc.sink.webhook;

import java.io.IOException;
import java.util.Map;

import org.fusekicdc.core.testing.GeneratedDocs;
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
}
