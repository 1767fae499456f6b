package org.fusekicdc.bench;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/** N-Triples generated on the fly: {@code count} distinct triples, never all in memory. */
final class NTriplesStream extends InputStream {
    private final String prefix;
    private final long count;
    private long next = 0;
    private byte[] line = new byte[0];
    private int pos = 0;

    /** Triples number 0..count-1 in the namespace {@code http://example.org/<tag>/}. */
    NTriplesStream(String tag, long count) {
        this.prefix = "http://example.org/" + tag + "/";
        this.count = count;
    }

    private boolean fill() {
        if ( pos < line.length )
            return true;
        if ( next == count )
            return false;
        long i = next++;
        String s = "<" + prefix + "s" + (i / 10) + "> <" + prefix + "p" + (i % 10) + "> ";
        String o = switch ((int)(i % 4)) {
            case 0 -> "<" + prefix + "o" + (i * 7919 % 1_000_003) + ">";
            case 1 -> "\"" + i + "\"^^<http://www.w3.org/2001/XMLSchema#integer>";
            case 2 -> "\"label " + i + "\"@en";
            default -> "\"value number " + i + "\"";
        };
        line = (s + o + " .\n").getBytes(StandardCharsets.UTF_8);
        pos = 0;
        return true;
    }

    @Override
    public int read() {
        if ( !fill() )
            return -1;
        return line[pos++] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if ( len == 0 )
            return 0;
        int n = 0;
        while ( n < len && fill() ) {
            int k = Math.min(len - n, line.length - pos);
            System.arraycopy(line, pos, b, off + n, k);
            pos += k;
            n += k;
        }
        return n == 0 ? -1 : n;
    }
}
