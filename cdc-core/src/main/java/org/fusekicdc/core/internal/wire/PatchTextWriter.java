package org.fusekicdc.core.internal.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

import org.apache.jena.atlas.io.AWriterBase;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.TokenWriterText;

/**
 * RDF Patch text writers for one patch each. Jena's {@code RDFChangesWriterText.create}
 * buffers in a new 128K-character buffer per writer, and an output stream writer under a
 * smaller one allocates for each token it encodes; for a small patch either is most of what
 * capturing or converting it allocates (at thousands of commits a second, the collector's work
 * and pauses). These encode the tokens' characters into a small byte buffer of their own.
 */
public final class PatchTextWriter {
    private PatchTextWriter() {}

    /**
     * A writer of RDF Patch text to {@code out}; {@link RDFChangesWriterText#finish()} flushes
     * it. A failure to write throws {@link UncheckedIOException}.
     */
    public static RDFChangesWriterText create(OutputStream out) {
        return new RDFChangesWriterText(TokenWriterText.create(new Utf8Writer(out)));
    }

    /**
     * UTF-8 to an output stream through a small buffer. Characters may come one at a time (Jena
     * escapes literals so), so a surrogate pair's halves are joined here; a lone half is written
     * as {@code ?}, as the platform's encoder does.
     */
    private static final class Utf8Writer extends AWriterBase {
        private final OutputStream out;
        private final byte[] buffer = new byte[512];
        private int used;
        private char highSurrogate;

        Utf8Writer(OutputStream out) {
            this.out = out;
        }

        @Override
        public void print(char ch) {
            if ( highSurrogate != 0 ) {
                char high = highSurrogate;
                highSurrogate = 0;
                if ( Character.isLowSurrogate(ch) ) {
                    int cp = Character.toCodePoint(high, ch);
                    put((byte)(0xF0 | (cp >> 18)));
                    put((byte)(0x80 | ((cp >> 12) & 0x3F)));
                    put((byte)(0x80 | ((cp >> 6) & 0x3F)));
                    put((byte)(0x80 | (cp & 0x3F)));
                    return;
                }
                put((byte)'?');
            }
            if ( ch < 0x80 ) {
                put((byte)ch);
            } else if ( ch < 0x800 ) {
                put((byte)(0xC0 | (ch >> 6)));
                put((byte)(0x80 | (ch & 0x3F)));
            } else if ( Character.isHighSurrogate(ch) ) {
                highSurrogate = ch;
            } else if ( Character.isLowSurrogate(ch) ) {
                put((byte)'?');
            } else {
                put((byte)(0xE0 | (ch >> 12)));
                put((byte)(0x80 | ((ch >> 6) & 0x3F)));
                put((byte)(0x80 | (ch & 0x3F)));
            }
        }

        @Override
        public void print(char[] cbuf) {
            for ( char ch : cbuf )
                print(ch);
        }

        @Override
        public void print(String s) {
            for ( int i = 0; i < s.length(); i++ )
                print(s.charAt(i));
        }

        @Override
        public void printf(String fmt, Object... args) {
            print(String.format(fmt, args));
        }

        @Override
        public void println(String s) {
            print(s);
            println();
        }

        @Override
        public void println() {
            put((byte)'\n');
        }

        @Override
        public void flush() {
            try {
                drain();
                out.flush();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        @Override
        public void close() {
            flush();
            try {
                out.close();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        private void put(byte b) {
            if ( used == buffer.length )
                drainUnchecked();
            buffer[used++] = b;
        }

        private void drainUnchecked() {
            try {
                drain();
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        private void drain() throws IOException {
            if ( used > 0 ) {
                out.write(buffer, 0, used);
                used = 0;
            }
        }
    }
}
