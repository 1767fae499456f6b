package org.fusekicdc.fuseki.live;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.fusekicdc.fuseki.live.WebSocketFrames.ProtocolException;

/**
 * The RFC 6455 decoder on any bytes a client can send, cut into reads of any size. It
 * delivers messages within the size limit, control payloads of at most 125 bytes and close
 * codes a client may send, nothing after a close; or it stops with a ProtocolException whose
 * close code and reason say why. A declared length is never allocated before the bytes
 * arrive (a 2^63-byte header is refused at once), and how the bytes are cut into reads changes
 * nothing.
 * <p>
 * Inputs: {@code src/test/resources/org/fusekicdc/fuseki/live/WebSocketFramesFuzzTestInputs/};
 * the first byte is the read size, the rest the client's bytes. See docs/testing.md.
 */
class WebSocketFramesFuzzTest {
    private static final int LIMIT = 4096;
    private static final Set<Integer> ERROR_CODES = Set.of(WebSocketFrames.PROTOCOL_ERROR, WebSocketFrames.UNSUPPORTED_DATA,
                                                           WebSocketFrames.INVALID_DATA, WebSocketFrames.TOO_BIG);

    @FuzzTest
    void framesDecodeWithinTheLimitsOrTheConnectionClosesWithAReason(byte[] input) {
        if ( input.length == 0 )
            return;
        int readSize = 1 + (input[0] & 0xFF);
        List<String> whole = decode(input, input.length);
        List<String> inReads = decode(input, readSize);
        assertEquals(whole, inReads, "reads of " + readSize + " bytes decode as the bytes read at once");
    }

    /** What the decoder reports for the client bytes {@code input[1..]}, read {@code readSize} bytes at a time. */
    private static List<String> decode(byte[] input, int readSize) {
        List<String> events = new ArrayList<>();
        WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder(LIMIT, new WebSocketFrames.Listener() {
            @Override
            public void onText(String message) {
                assertTrue(message.getBytes(StandardCharsets.UTF_8).length <= LIMIT, "a message over the limit");
                event("text " + message);
            }

            @Override
            public void onPing(byte[] payload) {
                assertTrue(payload.length <= 125, "a ping of " + payload.length + " bytes");
                event("ping " + HexFormat.of().formatHex(payload));
            }

            @Override
            public void onPong(byte[] payload) {
                assertTrue(payload.length <= 125, "a pong of " + payload.length + " bytes");
                event("pong " + HexFormat.of().formatHex(payload));
            }

            @Override
            public void onClose(int code, String reason) {
                assertTrue(code == WebSocketFrames.NO_STATUS || isSendable(code), "close code " + code + " is not one a client may send");
                event("close " + code + " " + reason);
            }

            private void event(String e) {
                assertFalse(!events.isEmpty() && events.getLast().startsWith("close "), "'" + e + "' after the client's close");
                events.add(e);
            }
        });
        try {
            for ( int off = 1 ; off < input.length ; off += readSize )
                decoder.feed(input, off, Math.min(readSize, input.length - off));
        } catch (ProtocolException ex) {
            assertTrue(ERROR_CODES.contains(ex.code), "close code " + ex.code);
            assertTrue(ex.getMessage() != null && !ex.getMessage().isBlank(), "a protocol error says why");
            events.add("error " + ex.code + " " + ex.getMessage());
        }
        return events;
    }

    /** Close codes of RFC 6455 section 7.4 that an endpoint may put in a close frame. */
    private static boolean isSendable(int code) {
        return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
    }
}
