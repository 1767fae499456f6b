package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A patch converted to another format goes out whole or in parts, and leaves no temporary file behind. */
class PatchMessagesTest {
    private static final int MAX_BYTES = 1024;

    @TempDir
    Path dir;
    private ChangeLog log;
    private LogWriter writer;

    @BeforeEach
    void openLog() {
        log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
        writer = LogWriter.claim(log);
    }

    @AfterEach
    void close() {
        log.close();
    }

    private PatchRecord patchOf(int quads) {
        StringBuilder text = new StringBuilder("TX .\n");
        for ( int i = 0 ; i < quads ; i++ )
            text.append("A <http://example.org/s").append(i).append("> <http://example.org/p> \"value ").append(i).append("\" .\n");
        text.append("TC .\n");
        long v = writer.append((meta, out) -> out.write(text.toString().getBytes(StandardCharsets.UTF_8))).version();
        writer.publish(v);
        return new PatchRecord("ds", log.read(v));
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
