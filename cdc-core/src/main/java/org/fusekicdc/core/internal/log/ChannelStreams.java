package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/** Positional reads and writes of a segment's file channel, which many readers share with the one writer. */
final class ChannelStreams {
    private ChannelStreams() {}

    static int writeFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        int total = 0;
        while ( buf.hasRemaining() ) {
            int w = ch.write(buf, pos + total);
            total += w;
        }
        return total;
    }

    /**
     * Positional, checksumming output to a channel, buffered in a buffer the caller owns and
     * reuses: a record's append allocates no buffer of its own.
     */
    static final class ChannelOutputStream extends OutputStream {
        private final FileChannel ch;
        private final CRC32C crc;
        private final byte[] buffer;
        private int buffered;
        private long pos;
        private long written;

        ChannelOutputStream(FileChannel ch, long pos, CRC32C crc, byte[] buffer) {
            this.ch = ch;
            this.pos = pos;
            this.crc = crc;
            this.buffer = buffer;
        }

        /** The bytes written so far, buffered ones included. */
        long written() { return written + buffered; }

        @Override
        public void write(int b) throws IOException {
            if ( buffered == buffer.length )
                flush();
            buffer[buffered++] = (byte)b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if ( len > buffer.length - buffered )
                flush();
            if ( len >= buffer.length ) {
                writeThrough(b, off, len);
                return;
            }
            System.arraycopy(b, off, buffer, buffered, len);
            buffered += len;
        }

        @Override
        public void flush() throws IOException {
            if ( buffered == 0 )
                return;
            int n = buffered;
            buffered = 0;
            writeThrough(buffer, 0, n);
        }

        @Override
        public void close() throws IOException {
            flush();
        }

        private void writeThrough(byte[] b, int off, int len) throws IOException {
            crc.update(b, off, len);
            int n = writeFully(ch, ByteBuffer.wrap(b, off, len), pos);
            pos += n;
            written += n;
        }
    }

    /** Positional input from a channel, so many readers can share one channel. */
    static final class RangeInputStream extends InputStream {
        private final FileChannel ch;
        private long pos;
        private long remaining;

        RangeInputStream(FileChannel ch, long pos, long length) {
            this.ch = ch;
            this.pos = pos;
            this.remaining = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if ( remaining <= 0 )
                return -1;
            int want = (int)Math.min(len, remaining);
            int n = ch.read(ByteBuffer.wrap(b, off, want), pos);
            if ( n < 0 )
                throw new IOException("Change log file ended inside a record");
            pos += n;
            remaining -= n;
            return n;
        }

        @Override
        public int available() {
            return (int)Math.min(Integer.MAX_VALUE, remaining);
        }
    }
}
