package org.fusekicdc.core.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.apache.jena.atlas.io.IOX;

/**
 * Reassembly of split messages, as a follower's reader takes them off a topic: any sequence
 * of messages with any headers. A message is either taken or refused with an
 * IllegalArgumentException naming it (the readers turn that into a bad message); only
 * messages whose part headers make sense (part 0 to parts - 1, an id when there are
 * several) are taken; whole
 * patches come out in increasing versions, each ending with the message that completed it; and no
 * temporary file is left once the patches and the assembler are closed.
 * <p>
 * Inputs: {@code src/test/resources/org.fusekicdc.core.wire.PatchReassemblerFuzzTestInputs/}, one
 * message a line. See docs/testing.md.
 */
class PatchReassemblerFuzzTest {
    private static final Map<String, String> HEADERS = Map.of("v", PatchMessages.VERSION, "seg", PatchMessages.PART,
                                                              "of", PatchMessages.PARTS, "id", PatchMessages.ID);

    /** @param input messages, one a line: {@code v=2 seg=0 of=3 id=a|value}, any header left out or malformed */
    @FuzzTest
    void messagesAreTakenOrRefusedAndPatchesComeOutWhole(byte[] input) throws IOException {
        Path tmp = Files.createTempDirectory("assembler-fuzz");
        try {
            assemble(new String(input, StandardCharsets.UTF_8), tmp);
            try (var left = Files.list(tmp)) {
                assertFalse(left.findAny().isPresent(), "temporary part files left behind");
            }
        } finally {
            IOX.deleteAll(tmp);
        }
    }

    private static void assemble(String input, Path tmp) throws IOException {
        long last = 0;
        try (PatchReassembler assembler = new PatchReassembler(tmp)) {
            for ( String line : input.split("\n") ) {
                int bar = line.indexOf('|');
                Map<String, String> headers = headers(bar < 0 ? line : line.substring(0, bar));
                byte[] value = (bar < 0 ? "" : line.substring(bar + 1)).getBytes(StandardCharsets.UTF_8);
                Optional<PatchReassembler.Patch> out;
                try {
                    out = assembler.offer(headers, value);
                } catch (IllegalArgumentException ex) {
                    assertTrue(ex.getMessage() != null && !ex.getMessage().isBlank(), "a refusal says why");
                    continue;
                }
                long part = Long.parseLong(headers.getOrDefault(PatchMessages.PART, "0"));
                long parts = Long.parseLong(headers.getOrDefault(PatchMessages.PARTS, "1"));
                assertTrue(0 <= part && part < parts, "taken: part " + part + " of " + parts);
                assertTrue(parts == 1 || headers.containsKey(PatchMessages.ID), "taken: a part without a patch id");
                if ( out.isEmpty() )
                    continue;
                try (PatchReassembler.Patch p = out.get(); InputStream in = p.open()) {
                    assertTrue(p.version() > last, "version " + p.version() + " after " + last);
                    assertEquals(p.version(), assembler.lastVersion());
                    last = p.version();
                    byte[] whole = in.readAllBytes();
                    assertTrue(whole.length >= value.length, "a whole patch holds its last part");
                    assertArrayEquals(value, Arrays.copyOfRange(whole, whole.length - value.length, whole.length), "a whole patch ends with its last part");
                }
            }
        }
    }

    private static Map<String, String> headers(String spec) {
        Map<String, String> headers = new HashMap<>();
        for ( String token : spec.trim().split(" +") ) {
            int eq = token.indexOf('=');
            if ( eq > 0 && HEADERS.containsKey(token.substring(0, eq)) )
                headers.put(HEADERS.get(token.substring(0, eq)), token.substring(eq + 1));
        }
        return headers;
    }
}
