package org.fusekicdc.streams.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.sse.SSE;
import org.apache.kafka.common.errors.SerializationException;
import org.fusekicdc.rsp.Commit;
import org.junit.jupiter.api.Test;

class QuadEventSerdeTest {
    private final QuadEventSerde serde = new QuadEventSerde();

    @Test
    void everyKindOfTermRoundTrips() {
        List<Quad> quads = List.of(SSE.parseQuad("(_ <http://ex/s> <http://ex/p> \"plain\")"),
                                   SSE.parseQuad("(<http://ex/g> <http://ex/s> <http://ex/p> \"chat\"@fr)"),
                                   SSE.parseQuad("(<http://ex/g> _:b0 <http://ex/p> 12.5)"),
                                   SSE.parseQuad("(_ <http://ex/s> <http://ex/p> \"line\\nbreak \\\"quoted\\\" ü\")"));
        Instant t = Instant.parse("2026-03-01T10:15:30.123Z");
        for ( Quad q : quads ) {
            QuadEvent e = new QuadEvent("/ds", 7, t, QuadEvent.Change.REMOVED, q.isDefaultGraph() ? Quad.create(Quad.defaultGraphIRI, q.asTriple()) : q);
            QuadEvent back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", e));
            assertEquals(e, back);
        }
    }

    @Test
    void aCommitExpandsToItsRemovalsThenItsAdditions() {
        Quad a = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> 1)");
        Quad r = SSE.parseQuad("(_ <http://ex/s> <http://ex/p> 0)");
        Instant t = Instant.parse("2026-03-01T10:00:00Z");
        List<QuadEvent> events = QuadEvent.of("ds", new Commit(3, t, List.of(a), List.of(r)));
        assertEquals(List.of(new QuadEvent("ds", 3, t, QuadEvent.Change.REMOVED, r), new QuadEvent("ds", 3, t, QuadEvent.Change.ADDED, a)), events);
    }

    @Test
    void bytesThatAreNotAQuadEventAreRefusedNamingTheTopic() {
        SerializationException ex = assertThrows(SerializationException.class,
                                                 () -> serde.deserializer().deserialize("events", "TX .".getBytes(StandardCharsets.UTF_8)));
        assertTrue(ex.getMessage().contains("events") && ex.getMessage().contains("not a quad event"), ex.getMessage());
    }
}
