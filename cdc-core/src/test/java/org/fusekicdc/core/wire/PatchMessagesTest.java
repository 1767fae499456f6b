package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** A patch converted to another format goes out whole or in parts, and leaves no temporary file behind. */
class PatchMessagesTest {
    private static final int MAX_BYTES = 1024;

    @TempDir
    Path dir;
    @RegisterExtension
    final TestLog changes = new TestLog();

    private PatchRecord patchOf(int quads) {
        return changes.appendAdds(quads, "");
    }

    private record Message(Map<String, String> headers, byte[] value) {}

    private List<Message> messages(PatchRecord patch, Path tmpDir) throws IOException {
        List<Message> out = new ArrayList<>();
        PatchMessages.parts(patch, MessageFormats.BINARY, Map.of(), MAX_BYTES, tmpDir, (h, v) -> out.add(new Message(h, v)));
        return out;
    }

    private static byte[] binary(PatchRecord patch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageFormats.BINARY.write(patch, out);
        return out.toByteArray();
    }

    @Test
    void aBinaryPatchThatFitsOneMessageGoesOutWholeWithoutTouchingTheDisk() throws IOException {
        PatchRecord patch = patchOf(3);
        Path tmpDir = dir.resolve("work");
        List<Message> sent = messages(patch, tmpDir);
        assertEquals(1, sent.size());
        assertArrayEquals(binary(patch), sent.get(0).value());
        assertEquals("1", sent.get(0).headers().get(PatchMessages.PARTS));
        assertEquals(PatchRecord.BINARY, sent.get(0).headers().get(PatchMessages.CONTENT_TYPE));
        assertFalse(Files.exists(tmpDir), "no temporary file for a patch that fits one message");
    }

    @Test
    void aBinaryPatchLargerThanAMessageIsCutIntoPartsThatJoinToItAndItsTemporaryFileIsDeleted() throws IOException {
        PatchRecord patch = patchOf(200);
        Path tmpDir = dir.resolve("work");
        List<Message> sent = messages(patch, tmpDir);
        byte[] expected = binary(patch);
        assertTrue(sent.size() > 1, "cut into parts");
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for ( int i = 0 ; i < sent.size() ; i++ ) {
            Message m = sent.get(i);
            assertTrue(m.value().length <= MAX_BYTES);
            assertEquals(Integer.toString(i), m.headers().get(PatchMessages.PART));
            assertEquals(Integer.toString(sent.size()), m.headers().get(PatchMessages.PARTS));
            joined.writeBytes(m.value());
        }
        assertArrayEquals(expected, joined.toByteArray());
        try (Stream<Path> left = Files.list(tmpDir)) {
            assertEquals(0, left.count(), "the temporary file is deleted");
        }
    }
}
