package org.fusekicdc.core.internal.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import org.apache.jena.rdfpatch.RDFChanges;
import org.fusekicdc.core.wire.MessageFormat;
import org.fusekicdc.core.wire.MessageFormats;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Bodies written ahead on other threads reach the sink exactly as written in place: same messages, same order, same failures. */
class MessagesAheadTest {
    private static final int MAX_BYTES = 4096;
    private static final Function<PatchRecord, Map<String, String>> ENVELOPE = p -> Map.of("ce-id", "v" + p.version());

    @TempDir
    Path dir;
    @RegisterExtension
    final TestLog changes = new TestLog();

    private PatchRecord patchOf(int quads) {
        return changes.appendAdds(quads, "<http://example.org/g>");
    }

    private record Message(long version, Map<String, String> headers, byte[] value) {}

    /** Every patch of {@code batch}: 1 to 40 quads, and every seventh one larger than a message. */
    private List<PatchRecord> batch(int n) {
        List<PatchRecord> patches = new ArrayList<>();
        for ( int i = 0 ; i < n ; i++ )
            patches.add(patchOf(i % 7 == 6 ? 200 : 1 + i % 40));
        return patches;
    }

    private List<Message> inPlace(MessageFormat format, List<PatchRecord> patches) throws IOException {
        List<Message> out = new ArrayList<>();
        for ( PatchRecord p : patches )
            format.messages(p, ENVELOPE.apply(p), MAX_BYTES, dir.resolve("work"), (h, v) -> out.add(new Message(p.version(), h, v)));
        return out;
    }

    private static void assertSameMessages(List<Message> expected, List<Message> actual) {
        assertEquals(expected.size(), actual.size(), "number of messages");
        for ( int i = 0 ; i < expected.size() ; i++ ) {
            assertEquals(expected.get(i).version(), actual.get(i).version(), "message " + i + ": patch");
            assertEquals(expected.get(i).headers(), actual.get(i).headers(), "message " + i + ": headers");
            assertArrayEquals(expected.get(i).value(), actual.get(i).value(), "message " + i + ": body");
        }
    }

    @Test
    void everyPatchGivesTheMessagesItGivesWrittenInPlaceInOrder() throws IOException {
        List<PatchRecord> patches = batch(60);
        for ( MessageFormat format : List.of(MessageFormats.BINARY, MessageFormats.JSON, MessageFormats.TEXT) ) {
            List<Message> got = new ArrayList<>();
            try (MessagesAhead ahead = MessagesAhead.start(format, patches, ENVELOPE, MAX_BYTES, dir.resolve("work"))) {
                for ( PatchRecord p : patches )
                    ahead.messages(p, (h, v) -> got.add(new Message(p.version(), h, v)));
            }
            assertSameMessages(inPlace(format, patches), got);
        }
    }

    @Test
    void aSinkMaySkipPatchesItAlreadyDeliveredAndTakesTheRestUnchanged() throws IOException {
        List<PatchRecord> patches = batch(30);
        List<PatchRecord> taken = patches.stream().filter(p -> p.version() % 3 != 0).toList();
        List<Message> got = new ArrayList<>();
        try (MessagesAhead ahead = MessagesAhead.start(MessageFormats.BINARY, patches, ENVELOPE, MAX_BYTES, dir.resolve("work"))) {
            for ( PatchRecord p : taken )
                ahead.messages(p, (h, v) -> got.add(new Message(p.version(), h, v)));
        }
        assertSameMessages(inPlace(MessageFormats.BINARY, taken), got);
    }

    @Test
    void theLogTextWrittenAheadStaysWithinItsBudget() throws IOException {
        List<PatchRecord> patches = batch(80);
        long budget = 3 * MAX_BYTES;
        try (MessagesAhead ahead = MessagesAhead.start(MessageFormats.BINARY, patches, ENVELOPE, MAX_BYTES, dir.resolve("work"), budget)) {
            assertTrue(ahead.bytesAhead() > 0, "bodies are being written ahead");
            for ( PatchRecord p : patches ) {
                assertTrue(ahead.bytesAhead() <= budget, "at most " + budget + " bytes ahead, found " + ahead.bytesAhead());
                ahead.messages(p, (h, v) -> {});
            }
            assertEquals(0, ahead.bytesAhead(), "nothing left ahead once every patch is taken");
        }
    }

    @Test
    void aPatchThatCannotBeWrittenFailsWhenItsTurnComesAfterTheOnesBeforeItWentOut() throws IOException {
        List<PatchRecord> patches = batch(10);
        long bad = patches.get(4).version();
        MessageFormat failing = new MessageFormat() {
            @Override
            public String name() {
                return "binary";
            }

            @Override
            public String contentType() {
                return PatchRecord.BINARY;
            }

            @Override
            public void write(PatchRecord patch, UnaryOperator<RDFChanges> filter, OutputStream out) throws IOException {
                if ( patch.version() == bad )
                    throw new IOException("cannot read version " + bad);
                MessageFormats.BINARY.write(patch, filter, out);
            }
        };
        List<Long> sent = new ArrayList<>();
        try (MessagesAhead ahead = MessagesAhead.start(failing, patches, ENVELOPE, MAX_BYTES, dir.resolve("work"))) {
            IOException ex = assertThrows(IOException.class, () -> {
                for ( PatchRecord p : patches )
                    ahead.messages(p, (h, v) -> sent.add(p.version()));
            });
            assertEquals("cannot read version " + bad, ex.getMessage());
        }
        assertEquals(patches.subList(0, 4).stream().map(PatchRecord::version).toList(), sent.stream().distinct().toList());
    }
}
