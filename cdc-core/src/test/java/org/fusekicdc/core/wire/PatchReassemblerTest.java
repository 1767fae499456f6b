package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Putting parts back together, as a consumer meets them in a topic. */
class PatchReassemblerTest {
    @TempDir
    Path dir;

    private static Map<String, String> h(String id, long version, int part, int parts) {
        return Map.of(PatchMessages.ID, id, PatchMessages.VERSION, Long.toString(version), PatchMessages.PART, Integer.toString(part),
                      PatchMessages.PARTS, Integer.toString(parts));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void partsWhoseStartWasNotSeenAreDroppedAndTheNextPatchIsWhole() throws Exception {
        try (PatchReassembler a = new PatchReassembler(dir)) {
            // Reading began in the middle of version 7 (or retention removed its start).
            assertEquals(Optional.empty(), a.offer(h("p7", 7, 1, 3), b("bb")));
            assertEquals(Optional.empty(), a.offer(h("p7", 7, 2, 3), b("cc")));
            assertEquals(Optional.empty(), a.offer(h("p8", 8, 0, 2), b("x")));
            Optional<PatchReassembler.Patch> p = a.offer(h("p8", 8, 1, 2), b("y"));
            assertTrue(p.isPresent());
            try (PatchReassembler.Patch patch = p.get(); InputStream in = patch.open()) {
                assertArrayEquals(b("xy"), in.readAllBytes());
            }
            assertEquals(8, a.lastVersion());
        }
    }

    @Test
    void aPartThatDoesNotContinueThePatchBeingAssembledIsAnError() {
        try (PatchReassembler a = new PatchReassembler(dir)) {
            a.offer(h("p1", 1, 0, 3), b("a"));
            assertThrows(IllegalArgumentException.class, () -> a.offer(h("p1", 1, 2, 3), b("c")));
        }
    }

    @Test
    void aPatchCutShortAndSentAgainIsReturnedOnceWhole() throws Exception {
        try (PatchReassembler a = new PatchReassembler(dir)) {
            a.offer(h("p1", 1, 0, 3), b("a"));
            a.offer(h("p1", 1, 1, 3), b("b"));
            a.offer(h("p1", 1, 0, 3), b("a"));
            a.offer(h("p1", 1, 1, 3), b("b"));
            PatchReassembler.Patch p = a.offer(h("p1", 1, 2, 3), b("c")).orElseThrow();
            try (InputStream in = p.open()) {
                assertArrayEquals(b("abc"), in.readAllBytes());
            }
            // A duplicate of the whole patch is dropped.
            assertEquals(Optional.empty(), a.offer(h("p1", 1, 0, 3), b("a")));
            p.close();
        }
    }

    @Test
    void closingAnAssembledPatchDeletesItsTemporaryFile() {
        try (PatchReassembler a = new PatchReassembler(dir)) {
            a.offer(h("p1", 1, 0, 2), b("a"));
            PatchReassembler.Patch p = a.offer(h("p1", 1, 1, 2), b("b")).orElseThrow();
            assertTrue(p.file() != null && Files.exists(p.file()));
            p.close();
            assertFalse(Files.exists(p.file()));
        }
    }

    @Test
    void aSplitPatchComesBackWholeWithTheHeadersOfItsFirstMessage() throws Exception {
        try (PatchReassembler a = new PatchReassembler(dir)) {
            assertTrue(a.offer(h("a", 1, 0, 3), b("one ")).isEmpty());
            assertTrue(a.offer(h("a", 1, 1, 3), b("two ")).isEmpty());
            Optional<PatchReassembler.Patch> p = a.offer(h("a", 1, 2, 3), b("three"));
            assertEquals(1, p.orElseThrow().version());
            assertEquals("0", p.get().headers().get(PatchMessages.PART), "headers of the first message, as documented");
            try (InputStream in = p.get().open()) {
                assertArrayEquals(b("one two three"), in.readAllBytes());
            }
        }
    }
}
