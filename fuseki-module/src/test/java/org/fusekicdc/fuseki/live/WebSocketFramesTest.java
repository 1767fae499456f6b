package org.fusekicdc.fuseki.live;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.fusekicdc.fuseki.live.WebSocketFrames.ProtocolException;
import org.junit.jupiter.api.Test;

class WebSocketFramesTest {
    private final List<String> seen = new ArrayList<>();
    private final WebSocketFrames.Decoder decoder = new WebSocketFrames.Decoder(1000, new WebSocketFrames.Listener() {
        @Override public void onText(String message) { seen.add("text:" + message); }
        @Override public void onPing(byte[] payload) { seen.add("ping:" + new String(payload, StandardCharsets.UTF_8)); }
        @Override public void onPong(byte[] payload) { seen.add("pong"); }
        @Override public void onClose(int code, String reason) { seen.add("close:" + code + ":" + reason); }
    });

    /** A frame as a client sends it: masked. */
    private static byte[] clientFrame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write((fin ? 0x80 : 0) | opcode);
        int n = payload.length;
        if ( n <= 125 )
            out.write(0x80 | n);
        else if ( n <= 0xFFFF ) {
            out.write(0x80 | 126);
            out.write(n >> 8);
            out.write(n);
        } else {
            out.write(0x80 | 127);
            for ( int i = 7 ; i >= 0 ; i-- )
                out.write((int)((long)n >> (8 * i)));
        }
        byte[] mask = {0x37, (byte)0xfa, 0x21, 0x3d};
        out.writeBytes(mask);
        for ( int i = 0 ; i < n ; i++ )
            out.write(payload[i] ^ mask[i & 3]);
        return out.toByteArray();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private void feed(byte[] b) throws ProtocolException {
        decoder.feed(b, 0, b.length);
    }

    @Test
    void theAcceptKeyIsTheOneOfRfc6455() {
        assertEquals("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", WebSocketFrames.acceptKey("dGhlIHNhbXBsZSBub25jZQ=="));
        assertTrue(WebSocketFrames.isValidKey("dGhlIHNhbXBsZSBub25jZQ=="));
        assertFalse(WebSocketFrames.isValidKey("c2hvcnQ="), "not 16 bytes");
        assertFalse(WebSocketFrames.isValidKey("not base64!"));
    }

    @Test
    void maskedTextFragmentsAndControlFramesBetweenThem() throws Exception {
        feed(clientFrame(false, WebSocketFrames.TEXT, utf8("{\"sub")));
        feed(clientFrame(true, WebSocketFrames.PING, utf8("hi")));
        feed(clientFrame(true, WebSocketFrames.CONTINUATION, utf8("scribe\": \"é\"}")));
        assertEquals(List.of("ping:hi", "text:{\"subscribe\": \"é\"}"), seen);
    }

    @Test
    void framesSplitAnywhereAcrossReads() throws Exception {
        byte[] a = clientFrame(true, WebSocketFrames.TEXT, utf8("x".repeat(300)));
        byte[] b = clientFrame(true, WebSocketFrames.CLOSE, new byte[] {0x03, (byte)0xE8, 'b', 'y', 'e'});
        byte[] all = new byte[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        for ( byte x : all )
            decoder.feed(new byte[] {x}, 0, 1);
        assertEquals(List.of("text:" + "x".repeat(300), "close:1000:bye"), seen);
    }

    @Test
    void whatRfc6455ForbidsClosesWithItsCode() {
        record Case(int code, byte[] bytes) {}
        byte[] unmasked = WebSocketFrames.frame(WebSocketFrames.TEXT, utf8("hi"));
        byte[] reserved = clientFrame(true, WebSocketFrames.TEXT, utf8("hi"));
        reserved[0] |= 0x40;
        byte[] badUtf8 = clientFrame(true, WebSocketFrames.TEXT, new byte[] {(byte)0xC3, 0x28});
        for ( Case c : List.of(new Case(WebSocketFrames.PROTOCOL_ERROR, unmasked),
                               new Case(WebSocketFrames.PROTOCOL_ERROR, reserved),
                               new Case(WebSocketFrames.PROTOCOL_ERROR, clientFrame(true, WebSocketFrames.CONTINUATION, utf8("x"))),
                               new Case(WebSocketFrames.PROTOCOL_ERROR, clientFrame(false, WebSocketFrames.PING, utf8("x"))),
                               new Case(WebSocketFrames.PROTOCOL_ERROR, clientFrame(true, 0x3, utf8("x"))),
                               new Case(WebSocketFrames.UNSUPPORTED_DATA, clientFrame(true, WebSocketFrames.BINARY, utf8("x"))),
                               new Case(WebSocketFrames.INVALID_DATA, badUtf8),
                               new Case(WebSocketFrames.TOO_BIG, clientFrame(true, WebSocketFrames.TEXT, new byte[1001])),
                               new Case(WebSocketFrames.TOO_BIG, concat(clientFrame(false, WebSocketFrames.TEXT, new byte[600]),
                                                                        clientFrame(true, WebSocketFrames.CONTINUATION, new byte[600]))))) {
            WebSocketFrames.Decoder d = new WebSocketFrames.Decoder(1000, new WebSocketFrames.Listener() {
                @Override public void onText(String message) {}
                @Override public void onPing(byte[] payload) {}
                @Override public void onPong(byte[] payload) {}
                @Override public void onClose(int code, String reason) {}
            });
            ProtocolException ex = assertThrows(ProtocolException.class, () -> d.feed(c.bytes(), 0, c.bytes().length));
            assertEquals(c.code(), ex.code, ex.getMessage());
        }
    }

    @Test
    void aTooBigFrameIsRefusedFromItsHeaderBeforeItsPayloadArrives() {
        byte[] header = java.util.Arrays.copyOf(clientFrame(true, WebSocketFrames.TEXT, new byte[70_000]), 14);
        ProtocolException ex = assertThrows(ProtocolException.class, () -> feed(header));
        assertEquals(WebSocketFrames.TOO_BIG, ex.code);
    }

    @Test
    void serverFramesAreUnmaskedWithTheShortestLength() {
        assertArrayEquals(new byte[] {(byte)0x81, 2, 'h', 'i'}, WebSocketFrames.text("hi"));
        byte[] medium = WebSocketFrames.frame(WebSocketFrames.TEXT, new byte[300]);
        assertEquals(126, medium[1]);
        assertEquals(300, ((medium[2] & 0xFF) << 8) | (medium[3] & 0xFF));
        byte[] large = WebSocketFrames.frame(WebSocketFrames.TEXT, new byte[70_000]);
        assertEquals(127, large[1]);
        assertEquals(10 + 70_000, large.length);
        byte[] close = WebSocketFrames.close(1008, "é".repeat(100));
        assertTrue(close.length <= 2 + 125, "a close frame's reason is cut to fit a control frame");
        assertEquals(1008, ((close[2] & 0xFF) << 8) | (close[3] & 0xFF));
        assertEquals(0, (close.length - 4) % 2, "not cut inside a UTF-8 sequence");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
