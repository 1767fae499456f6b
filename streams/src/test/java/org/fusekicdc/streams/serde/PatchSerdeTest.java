package org.fusekicdc.streams.serde;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.junit.jupiter.api.Test;

class PatchSerdeTest {
    private static final String TEXT = """
        H id <uuid:0b5f8c52-3c3a-4b3e-9d7e-1f2a3b4c5d6e> .
        TX .
        D <http://example.org/s> <http://example.org/p> "old" .
        A <http://example.org/s> <http://example.org/p> "new"@en <http://example.org/g> .
        A _:b1 <http://example.org/p> "42"^^<http://www.w3.org/2001/XMLSchema#integer> .
        TC .
        """;

    private static RDFPatch patch() {
        return RDFPatchOps.read(new ByteArrayInputStream(TEXT.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void textAndBinaryRoundTripAndSayTheirForm() {
        for ( PatchSerde serde : new PatchSerde[] { PatchSerde.text(), PatchSerde.binary() } ) {
            RecordHeaders headers = new RecordHeaders();
            byte[] bytes = serde.serializer().serialize("t", headers, patch());
            assertEquals(serde.contentType(), new String(headers.lastHeader(PatchMessages.CONTENT_TYPE).value(), StandardCharsets.UTF_8));
            RDFPatch back = serde.deserializer().deserialize("t", headers, bytes);
            assertEquals(RDFPatchOps.str(patch()), RDFPatchOps.str(back), serde.contentType());
        }
    }

    @Test
    void theRecordsContentTypeWinsOverTheSerdesForm() {
        byte[] binary = PatchSerde.write(PatchRecord.BINARY, patch());
        RecordHeaders headers = new RecordHeaders();
        headers.add(PatchMessages.CONTENT_TYPE, PatchRecord.BINARY.getBytes(StandardCharsets.UTF_8));
        RDFPatch back = PatchSerde.text().deserializer().deserialize("t", headers, binary);
        assertEquals(RDFPatchOps.str(patch()), RDFPatchOps.str(back));
    }

    @Test
    void aPartOfASplitPatchIsRefusedNamingTheReassembly() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(PatchMessages.PART, "0".getBytes(StandardCharsets.UTF_8));
        headers.add(PatchMessages.PARTS, "3".getBytes(StandardCharsets.UTF_8));
        headers.add(PatchMessages.VERSION, "12".getBytes(StandardCharsets.UTF_8));
        SerializationException ex = assertThrows(SerializationException.class,
                                                 () -> PatchSerde.text().deserializer().deserialize("changes", headers, TEXT.getBytes(StandardCharsets.UTF_8)));
        assertTrue(ex.getMessage().contains("part 0 of 3 of patch version 12") && ex.getMessage().contains("PatchReassembly"), ex.getMessage());
    }

    @Test
    void aJsonChangeEventIsNotAPatchAndTheErrorSaysWhichFormatsAre() {
        RecordHeaders headers = new RecordHeaders();
        headers.add(PatchMessages.CONTENT_TYPE, "application/json".getBytes(StandardCharsets.UTF_8));
        SerializationException ex = assertThrows(SerializationException.class,
                                                 () -> PatchSerde.text().deserializer().deserialize("changes", headers, "{}".getBytes(StandardCharsets.UTF_8)));
        assertTrue(ex.getMessage().contains("application/json") && ex.getMessage().contains("cdc:format \"text\""), ex.getMessage());
    }
}
