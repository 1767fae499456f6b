package org.fusekicdc.core.sink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PatchAssemblerTest {
    @TempDir
    Path tmp;

    private static Map<String, String> segment(long version, String id, int i, int n) {
        return Map.of(PatchMessages.VERSION, Long.toString(version), PatchMessages.ID, id, PatchMessages.SEGMENT, Integer.toString(i),
                      PatchMessages.SEGMENTS, Integer.toString(n));
    }

    @Test
    void aSegmentedPatchComesBackWholeWithTheHeadersOfItsFirstMessage() throws Exception {
        try (PatchAssembler a = new PatchAssembler(tmp)) {
            assertTrue(a.offer(segment(1, "a", 0, 3), "one ".getBytes(StandardCharsets.UTF_8)).isEmpty());
            assertTrue(a.offer(segment(1, "a", 1, 3), "two ".getBytes(StandardCharsets.UTF_8)).isEmpty());
            Optional<PatchAssembler.Patch> p = a.offer(segment(1, "a", 2, 3), "three".getBytes(StandardCharsets.UTF_8));
            assertEquals(1, p.orElseThrow().version());
            assertEquals("0", p.get().headers().get(PatchMessages.SEGMENT), "headers of the first message, as documented");
            try (InputStream in = p.get().open()) {
                assertArrayEquals("one two three".getBytes(StandardCharsets.UTF_8), in.readAllBytes());
            }
        }
    }
}
