package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.Nats;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A configured continuous query's steps on a JetStream subject: JSON messages, one per step in
 * step order, with the step headers. Needs a NATS server with JetStream (NATS_URL, else
 * 127.0.0.1:4222); .ci/run starts one.
 */
class ContinuousQueryNatsIT {
    @TempDir
    Path work;

    @Test
    void stepsArriveAsJsonMessagesWithTheStepHeaders() throws Exception {
        String url = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-test.steps." + id;
        String stream = "FUSEKI_CDC_TEST_STEPS_" + id.toUpperCase();
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory \"", """
            cdc:continuousQuery [
                    cdc:name "count" ;
                    cdc:query \"""PREFIX ex: <http://example/>
                        REGISTER RSTREAM <urn:q:count> AS SELECT (COUNT(*) AS ?n)
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT1S]
                        WHERE { WINDOW <urn:w> { ?s ex:p ?o } }\""" ;
                    cdc:sink [ a cdc:NatsSink ; cdc:url "%s" ; cdc:subject "%s" ; cdc:stream "%s" ]
                ] ;
                cdc:logDirectory \"""".formatted(url, subject, stream));
        try (Connection nats = Nats.connect(url)) {
            try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
                assertEquals(204, f.update("ds", "PREFIX ex: <http://example/> INSERT DATA { ex:a ex:p 1 }").statusCode());
                // The sink creates its stream when it first opens, on a thread of its own.
                TestSupport.await("the sink's stream " + stream, Duration.ofSeconds(30), () -> streamExists(nats, stream));
                try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                    long previousStep = -1;
                    for ( long position = 1 ; position <= 3 ; position++ ) {
                        Optional<PatchReassembler.Patch> m = reader.next(Duration.ofSeconds(30));
                        if ( m.isEmpty() )
                            throw new AssertionError("step message " + position + " did not arrive");
                        JsonObject step;
                        try (InputStream in = m.get().open()) {
                            step = JSON.parse(in);
                        }
                        var h = m.get().headers();
                        assertEquals("application/json", h.get("Content-Type"));
                        assertEquals(position, m.get().version(), "cdc-version is the position in the step log");
                        assertEquals("count", h.get("cdc-query"));
                        long number = Long.parseLong(h.get("cdc-step"));
                        assertEquals(number, step.get("step").getAsNumber().value().longValue());
                        if ( previousStep >= 0 )
                            assertEquals(previousStep + 1, number, "consecutive windows");
                        previousStep = number;
                        assertEquals(step.get("version").getAsNumber().value().toString(), h.get("cdc-evaluated-version"));
                        assertEquals(step.get("windowStart").getAsString().value(), h.get("cdc-window-start"));
                        assertEquals(step.get("windowEnd").getAsString().value(), h.get("cdc-window-end"));
                    }
                }
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    private static boolean streamExists(Connection nats, String stream) {
        try {
            nats.jetStreamManagement().getStreamInfo(stream);
            return true;
        } catch (JetStreamApiException ex) {
            return false;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
