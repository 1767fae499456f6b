package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reader that starts after a version finds its place by bisection over the stream instead of
 * reading the subject from the start, also when another subject's messages share the stream.
 */
class NatsReaderPositionIT {
    @TempDir
    Path tmp;

    @BeforeEach
    void server() {
        NatsTesting.requireServer();
    }

    @Test
    void aReaderStartsAtTheFirstMessageAfterItsVersion() throws Exception {
        String id = NatsTesting.unique("pos");
        String stream = "FUSEKI_CDC_POSITION_" + id.toUpperCase().replaceAll("[^A-Z0-9]", "_");
        String subject = "fuseki-cdc-position." + id + ".ds";
        String other = "fuseki-cdc-position." + id + ".other";
        try (Connection nc = NatsTesting.connect(URL)) {
            nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject, other)
                                                                  .storageType(StorageType.Memory).build());
            try {
                JetStream js = nc.jetStream();
                Map<Long, Long> sequenceOfVersion = new HashMap<>();
                for ( long v = 1 ; v <= 300 ; v++ ) {
                    js.publish(message(other, v));
                    sequenceOfVersion.put(v, js.publish(message(subject, v)).getSeqno());
                }
                try (NatsPatchReader reader = new NatsPatchReader(nc, stream, subject, 250, tmp)) {
                    assertTrue(reader.startSequence() > sequenceOfVersion.get(250L) && reader.startSequence() <= sequenceOfVersion.get(251L),
                               "starts between version 250 (sequence " + sequenceOfVersion.get(250L) + ") and 251 (sequence "
                               + sequenceOfVersion.get(251L) + "), not at " + reader.startSequence());
                    List<Long> versions = new ArrayList<>();
                    while ( versions.size() < 50 ) {
                        Optional<Patch> p = reader.next(Duration.ofSeconds(10));
                        if ( p.isEmpty() )
                            break;
                        versions.add(p.get().version());
                    }
                    assertEquals(java.util.stream.LongStream.rangeClosed(251, 300).boxed().toList(), versions);
                }
                try (NatsPatchReader fromStart = new NatsPatchReader(nc, stream, subject, 0, tmp)) {
                    assertEquals(0, fromStart.startSequence(), "version 0: the whole subject");
                }
            } finally {
                nc.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    private static NatsMessage message(String subject, long version) {
        Headers h = new Headers();
        h.put(PatchMessages.VERSION, Long.toString(version));
        h.put(PatchMessages.ID, UUID.randomUUID().toString());
        return NatsMessage.builder().subject(subject).headers(h).data("TX .\nTC .\n".getBytes(StandardCharsets.UTF_8)).build();
    }
}
