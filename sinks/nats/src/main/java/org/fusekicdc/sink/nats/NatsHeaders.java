package org.fusekicdc.sink.nats;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.nats.client.impl.Headers;
import org.fusekicdc.core.wire.PatchMessages;

/**
 * The NATS side of {@link PatchMessages}: header names JetStream acts on, and the mapping of the
 * patch headers onto NATS headers, whose values must be ASCII. The only header that may hold
 * other characters, {@code cdc-dataset}, is percent-encoded (UTF-8) outside printable ASCII and
 * for '%' itself; every name in printable ASCII without '%' is sent unchanged.
 */
final class NatsHeaders {
    /** JetStream drops a message whose id it has stored within the stream's duplicate window. */
    static final String MSG_ID = "Nats-Msg-Id";
    /** JetStream refuses the message unless the stream's last message has this id. */
    static final String EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id";
    /** JetStream refuses the message unless the subject's last message has this stream sequence (0: none). */
    static final String EXPECTED_LAST_SUBJECT_SEQUENCE = "Nats-Expected-Last-Subject-Sequence";
    /** JetStream refuses the message unless the stream's last message has this sequence (0: none). */
    static final String EXPECTED_LAST_SEQUENCE = "Nats-Expected-Last-Sequence";
    /** JetStream refuses the message unless it would be stored in this stream. */
    static final String EXPECTED_STREAM = "Nats-Expected-Stream";

    private NatsHeaders() {}

    static Headers toNats(Map<String, String> headers) {
        Headers h = new Headers();
        // CloudEvents attributes (ce-) are percent-encoded as the NATS and HTTP bindings say.
        headers.forEach((k, v) -> h.put(k, PatchMessages.DATASET.equals(k) || k.startsWith("ce-") ? encode(v) : v));
        return h;
    }

    /** The first value of each header, {@code cdc-dataset} decoded. */
    static Map<String, String> fromNats(Headers headers) {
        Map<String, String> out = new LinkedHashMap<>();
        if ( headers == null )
            return out;
        for ( Map.Entry<String, List<String>> e : headers.entrySet() ) {
            if ( e.getValue().isEmpty() )
                continue;
            String v = e.getValue().get(0);
            out.put(e.getKey(), PatchMessages.DATASET.equals(e.getKey()) ? decode(v) : v);
        }
        return out;
    }

    static String encode(String value) {
        boolean plain = value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e && c != '%');
        if ( plain )
            return value;
        StringBuilder sb = new StringBuilder();
        for ( byte b : value.getBytes(StandardCharsets.UTF_8) ) {
            int c = b & 0xff;
            if ( c >= 0x20 && c <= 0x7e && c != '%' )
                sb.append((char)c);
            else
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16))).append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
        }
        return sb.toString();
    }

    static String decode(String value) {
        if ( value.indexOf('%') < 0 )
            return value;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for ( int i = 0 ; i < value.length() ; i++ ) {
            char c = value.charAt(i);
            if ( c == '%' && i + 2 < value.length() ) {
                int hi = Character.digit(value.charAt(i + 1), 16), lo = Character.digit(value.charAt(i + 2), 16);
                if ( hi >= 0 && lo >= 0 ) {
                    out.write(hi << 4 | lo);
                    i += 2;
                    continue;
                }
            }
            out.write(c);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Whether a stream subject (possibly with wildcards) captures an exact subject. */
    static boolean covers(String pattern, String subject) {
        String[] p = pattern.split("\\.", -1);
        String[] s = subject.split("\\.", -1);
        for ( int i = 0 ; i < p.length ; i++ ) {
            if ( p[i].equals(">") )
                return i < s.length;
            if ( i >= s.length )
                return false;
            if ( !p[i].equals("*") && !p[i].equals(s[i]) )
                return false;
        }
        return p.length == s.length;
    }
}
