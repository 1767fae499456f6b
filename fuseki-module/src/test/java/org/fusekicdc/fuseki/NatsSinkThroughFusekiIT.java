package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NATS example configuration, run by Fuseki: writes over HTTP arrive on the JetStream
 * subject in order, once each. Needs a NATS server with JetStream (NATS_URL, else
 * 127.0.0.1:4222); .ci/run starts one.
 */
class NatsSinkThroughFusekiIT {
    @TempDir
    Path work;

    @Test
    void writesOverHttpArriveOnTheSubjectInOrder() throws Exception {
        String url = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-test." + id;
        String stream = "FUSEKI_CDC_TEST_" + id.toUpperCase();
        String config = CdcFuseki.exampleConfig("nats.ttl", work)
                                 .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                          "cdc:url \"" + url + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"");
        try (Connection nats = Nats.connect(url)) {
            try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
                for ( int i = 1 ; i <= 20 ; i++ )
                    assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
                List<Long> versions = new ArrayList<>();
                try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                    while ( versions.size() < 20 ) {
                        Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(30));
                        if ( p.isEmpty() )
                            throw new AssertionError("only " + versions + " arrived");
                        assertEquals("ds", p.get().headers().get(PatchMessages.DATASET));
                        versions.add(p.get().version());
                    }
                }
                assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), versions);
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }
}
