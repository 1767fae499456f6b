package org.fusekicdc.fuseki.live;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * The server side of RFC 6455 framing, without extensions: the handshake's accept key,
 * unmasked server frames, and a {@link Decoder} for the masked frames clients send.
 * <p>
 * Written here rather than taken from Jetty because the Fuseki server jar does not ship
 * Jetty's WebSocket modules, and the module jar must not ship Jetty classes.
 */
final class WebSocketFrames {
    static final int CONTINUATION = 0x0, TEXT = 0x1, BINARY = 0x2, CLOSE = 0x8, PING = 0x9, PONG = 0xA;

    static final int NORMAL = 1000, GOING_AWAY = 1001, PROTOCOL_ERROR = 1002, UNSUPPORTED_DATA = 1003,
        NO_STATUS = 1005, INVALID_DATA = 1007, POLICY_VIOLATION = 1008, TOO_BIG = 1009, INTERNAL_ERROR = 1011,
        TRY_AGAIN_LATER = 1013;

    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final int MAX_CONTROL_PAYLOAD = 125;

    private WebSocketFrames() {}

    /** The {@code Sec-WebSocket-Accept} answer to a client's {@code Sec-WebSocket-Key}. */
    static String acceptKey(String clientKey) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest((clientKey.trim() + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(sha1);
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-1 is required of every Java platform", ex);
        }
    }

    /** Whether a {@code Sec-WebSocket-Key} is what RFC 6455 asks for: 16 bytes, base64. */
    static boolean isValidKey(String clientKey) {
        try {
            return clientKey != null && Base64.getDecoder().decode(clientKey.trim()).length == 16;
        } catch (IllegalArgumentException ex) {
            return false;
        }
    }

    static byte[] text(String s) {
        return frame(TEXT, s.getBytes(StandardCharsets.UTF_8));
    }

    /** A close frame; the reason is cut to fit a control frame. */
    static byte[] close(int code, String reason) {
        byte[] r = reason.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(r.length, MAX_CONTROL_PAYLOAD - 2);
        // Do not cut a UTF-8 sequence in two.
        while ( n > 0 && n < r.length && (r[n] & 0xC0) == 0x80 )
            n--;
        byte[] p = new byte[2 + n];
        p[0] = (byte)(code >> 8);
        p[1] = (byte)code;
        System.arraycopy(r, 0, p, 2, n);
        return frame(CLOSE, p);
    }

    /** One unmasked, final frame (servers never mask). */
    static byte[] frame(int opcode, byte[] payload) {
        int n = payload.length;
        int header = n <= 125 ? 2 : n <= 0xFFFF ? 4 : 10;
        byte[] f = new byte[header + n];
        f[0] = (byte)(0x80 | opcode);
        if ( n <= 125 )
            f[1] = (byte)n;
        else if ( n <= 0xFFFF ) {
            f[1] = 126;
            f[2] = (byte)(n >> 8);
            f[3] = (byte)n;
        } else {
            f[1] = 127;
            for ( int i = 0 ; i < 8 ; i++ )
                f[2 + i] = (byte)((long)n >> (56 - 8 * i));
        }
        System.arraycopy(payload, 0, f, header, n);
        return f;
    }

    /** A violation of the protocol by the client: the connection is closed with {@code code}. */
    static final class ProtocolException extends Exception {
        final int code;

        ProtocolException(int code, String reason) {
            super(reason, null, false, false);
            this.code = code;
        }
    }

    /** What a {@link Decoder} finds in the client's bytes. */
    interface Listener {
        void onText(String message) throws ProtocolException;

        void onPing(byte[] payload);

        void onPong(byte[] payload);

        /** @param code the close code, or {@link #NO_STATUS} when the client gave none */
        void onClose(int code, String reason);
    }

    /**
     * Reads frames from a client's bytes, as they arrive in pieces: unmasks them, joins
     * fragments, checks UTF-8, and refuses what RFC 6455 forbids of clients and messages
     * larger than the limit.
     */
    static final class Decoder {
        private final int maxMessageBytes;
        private final Listener listener;
        // Bytes received but not yet decoded: at most one frame header plus the message limit.
        private byte[] buf = new byte[1024];
        private int len;
        // The text message being put together from fragments, or null between messages.
        private byte[] message;
        private int messageLen;
        // After the client's close frame nothing it sends counts (RFC 6455 section 5.5.1).
        private boolean closed;

        Decoder(int maxMessageBytes, Listener listener) {
            this.maxMessageBytes = maxMessageBytes;
            this.listener = listener;
        }

        void feed(byte[] bytes, int off, int n) throws ProtocolException {
            if ( closed )
                return;
            if ( len + n > buf.length )
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            System.arraycopy(bytes, off, buf, len, n);
            len += n;
            int used = 0;
            int step;
            while ( !closed && (step = frame(used)) > 0 )
                used += step;
            System.arraycopy(buf, used, buf, 0, len - used);
            len -= used;
        }

        /** Decode the frame at {@code at}; the bytes it took, or 0 when it is not all here yet. */
        private int frame(int at) throws ProtocolException {
            int avail = len - at;
            if ( avail < 2 )
                return 0;
            int b0 = buf[at] & 0xFF, b1 = buf[at + 1] & 0xFF;
            boolean fin = (b0 & 0x80) != 0;
            int opcode = b0 & 0x0F;
            if ( (b0 & 0x70) != 0 )
                throw new ProtocolException(PROTOCOL_ERROR, "Reserved bits set, but no extension was negotiated");
            if ( (b1 & 0x80) == 0 )
                throw new ProtocolException(PROTOCOL_ERROR, "Client frames must be masked (RFC 6455 section 5.1)");
            long payloadLen = b1 & 0x7F;
            int header = 2;
            if ( payloadLen == 126 ) {
                if ( avail < 4 )
                    return 0;
                payloadLen = ((buf[at + 2] & 0xFF) << 8) | (buf[at + 3] & 0xFF);
                header = 4;
            } else if ( payloadLen == 127 ) {
                if ( avail < 10 )
                    return 0;
                payloadLen = 0;
                for ( int i = 0 ; i < 8 ; i++ )
                    payloadLen = (payloadLen << 8) | (buf[at + 2 + i] & 0xFF);
                header = 10;
                if ( payloadLen < 0 )
                    throw new ProtocolException(PROTOCOL_ERROR, "Frame length has its most significant bit set");
            }
            boolean control = (opcode & 0x8) != 0;
            if ( control && (!fin || payloadLen > MAX_CONTROL_PAYLOAD) )
                throw new ProtocolException(PROTOCOL_ERROR, "Control frames must be final and at most 125 bytes");
            if ( !control && messageLen + payloadLen > maxMessageBytes )
                throw new ProtocolException(TOO_BIG, "Message larger than " + maxMessageBytes + " bytes");
            if ( avail < header + 4 + payloadLen )
                return 0;
            int start = at + header + 4;
            int n = (int)payloadLen;
            for ( int i = 0 ; i < n ; i++ )
                buf[start + i] ^= buf[at + header + (i & 3)];
            byte[] payload = Arrays.copyOfRange(buf, start, start + n);
            switch ( opcode ) {
                case TEXT, CONTINUATION -> data(opcode, fin, payload);
                case BINARY -> throw new ProtocolException(UNSUPPORTED_DATA, "Binary messages are not understood; send JSON text");
                case PING -> listener.onPing(payload);
                case PONG -> listener.onPong(payload);
                case CLOSE -> close(payload);
                default -> throw new ProtocolException(PROTOCOL_ERROR, "Unknown opcode " + opcode);
            }
            return header + 4 + n;
        }

        private void data(int opcode, boolean fin, byte[] payload) throws ProtocolException {
            if ( opcode == TEXT && message != null )
                throw new ProtocolException(PROTOCOL_ERROR, "New message before the last fragment of the previous one");
            if ( opcode == CONTINUATION && message == null )
                throw new ProtocolException(PROTOCOL_ERROR, "Continuation frame without a message to continue");
            if ( opcode == TEXT && fin ) {
                listener.onText(utf8(payload, payload.length));
                return;
            }
            if ( message == null ) {
                message = new byte[Math.max(payload.length, 256)];
                messageLen = 0;
            }
            if ( messageLen + payload.length > message.length )
                message = Arrays.copyOf(message, Math.max(message.length * 2, messageLen + payload.length));
            System.arraycopy(payload, 0, message, messageLen, payload.length);
            messageLen += payload.length;
            if ( fin ) {
                String text = utf8(message, messageLen);
                message = null;
                messageLen = 0;
                listener.onText(text);
            }
        }

        private void close(byte[] payload) throws ProtocolException {
            if ( payload.length == 0 ) {
                closed = true;
                listener.onClose(NO_STATUS, "");
                return;
            }
            if ( payload.length == 1 )
                throw new ProtocolException(PROTOCOL_ERROR, "Close frame with a one-byte payload");
            int code = ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF);
            if ( !isSendable(code) )
                throw new ProtocolException(PROTOCOL_ERROR, "Close code " + code + " is not one an endpoint may send (RFC 6455 section 7.4)");
            String reason = utf8(Arrays.copyOfRange(payload, 2, payload.length), payload.length - 2);
            closed = true;
            listener.onClose(code, reason);
        }

        /** Codes RFC 6455 section 7.4 lets an endpoint put in a close frame: the defined ones, and those of libraries and applications. */
        private static boolean isSendable(int code) {
            return (code >= NORMAL && code <= UNSUPPORTED_DATA) || (code >= INVALID_DATA && code <= 1014) || (code >= 3000 && code <= 4999);
        }

        private static String utf8(byte[] b, int n) throws ProtocolException {
            CharsetDecoder d = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                                                     .onUnmappableCharacter(CodingErrorAction.REPORT);
            try {
                CharBuffer c = d.decode(ByteBuffer.wrap(b, 0, n));
                return c.toString();
            } catch (CharacterCodingException ex) {
                throw new ProtocolException(INVALID_DATA, "Text message is not valid UTF-8");
            }
        }
    }
}
