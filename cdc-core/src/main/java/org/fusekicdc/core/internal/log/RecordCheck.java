package org.fusekicdc.core.internal.log;

import static org.fusekicdc.core.internal.log.Segment.AT_LENGTH;
import static org.fusekicdc.core.internal.log.Segment.AT_VERSION;
import static org.fusekicdc.core.internal.log.Segment.HEADER_BYTES;
import static org.fusekicdc.core.internal.log.Segment.MAGIC;
import static org.fusekicdc.core.internal.log.Segment.TRAILER_BYTES;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * Checks records of a segment file: a whole record against its marker, version, length and
 * checksum; and, for a record that fails at the end of the last segment, whether it is a torn
 * tail (an append a crash interrupted, never acknowledged) or damage to a complete record.
 * <p>
 * What a crash can leave (see docs/capture.md, "Crash recovery"): an append writes the payload,
 * then the header in front of it, then the checksum after it, then forces the file. A process
 * killed before the force leaves a prefix of that: a header of zeros (the payload went first), or
 * a file that ends before the record's length says it should. ext4 (data=ordered) commits a
 * file's new size only after the data under it, so a power failure leaves the same shapes. A
 * record whose length fits in the file but whose checksum or marker fails is none of these: it
 * was damaged after it was written, and may be an acknowledged write.
 */
final class RecordCheck {
    private static final int BUFFER = 64 * 1024;
    // Versions past the expected one searched for when looking for intact records after damage.
    private static final long VERSION_WINDOW = 1L << 32;

    private RecordCheck() {}

    /** Check the record at {@code pos}: null when whole and correct, otherwise what is wrong. */
    static String problem(FileChannel ch, long pos, long expectedVersion, long fileSize) throws IOException {
        return check(ch, pos, expectedVersion, fileSize).problem();
    }

    /**
     * The outcome of checking one record: its header when the record is whole and correct,
     * otherwise what is wrong.
     */
    record Result(ByteBuffer header, String problem) {
        static Result failed(String problem) {
            return new Result(null, problem);
        }
    }

    static Result check(FileChannel ch, long pos, long expectedVersion, long fileSize) throws IOException {
        if ( fileSize - pos < HEADER_BYTES + TRAILER_BYTES )
            return Result.failed("the file ends inside the record header");
        ByteBuffer hdr = header(ch, pos);
        if ( hdr.getInt(0) != MAGIC )
            return Result.failed("no record marker");
        long version = hdr.getLong(AT_VERSION);
        if ( version != expectedVersion )
            return Result.failed("version " + version + " where " + expectedVersion + " was expected");
        long len = hdr.getLong(AT_LENGTH);
        if ( len < 0 || len > fileSize - pos - HEADER_BYTES - TRAILER_BYTES )
            return Result.failed("record length " + len + " runs past the end of the file");
        return checksumMatches(ch, pos, hdr, len) ? new Result(hdr, null) : Result.failed("checksum mismatch");
    }

    private static boolean checksumMatches(FileChannel ch, long pos, ByteBuffer hdr, long len) throws IOException {
        CRC32C crc = new CRC32C();
        int trailer;
        if ( len + TRAILER_BYTES <= BUFFER ) {
            // Most patches: payload and checksum in one read.
            ByteBuffer buf = ByteBuffer.allocate((int)len + TRAILER_BYTES);
            readFully(ch, buf, pos + HEADER_BYTES);
            crc.update(buf.array(), 0, (int)len);
            trailer = buf.getInt((int)len);
        } else {
            ByteBuffer buf = ByteBuffer.allocate(BUFFER);
            long p = pos + HEADER_BYTES;
            long remaining = len;
            while ( remaining > 0 ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), remaining));
                int r = ch.read(buf, p);
                if ( r <= 0 )
                    return false;
                buf.flip();
                crc.update(buf);
                p += r;
                remaining -= r;
            }
            buf.clear();
            buf.limit(TRAILER_BYTES);
            readFully(ch, buf, pos + HEADER_BYTES + len);
            trailer = buf.getInt(0);
        }
        crc.update(hdr.rewind());
        hdr.rewind();
        return trailer == (int)crc.getValue();
    }

    /**
     * Whether the failed record at {@code pos}, with nothing intact after it, is what an
     * interrupted append leaves: the file ends inside its header or before its length (unless the
     * rest of the file is the whole record with only its length field damaged), or its header was
     * never written (zeros).
     */
    static boolean tornTail(FileChannel ch, long pos, long expectedVersion, long fileSize) throws IOException {
        if ( fileSize - pos < HEADER_BYTES + TRAILER_BYTES )
            return true;
        ByteBuffer hdr = header(ch, pos);
        boolean zeros = true;
        for ( int i = 0 ; i < HEADER_BYTES ; i++ )
            zeros &= hdr.get(i) == 0;
        if ( zeros )
            return true;
        long len = hdr.getLong(AT_LENGTH);
        long fits = fileSize - pos - HEADER_BYTES - TRAILER_BYTES;
        if ( hdr.getInt(0) != MAGIC || hdr.getLong(AT_VERSION) != expectedVersion || len < 0 || len <= fits )
            return false;
        hdr.putLong(AT_LENGTH, fits);
        return !checksumMatches(ch, pos, hdr, fits);
    }

    /**
     * The offset of the first intact record of a version from {@code minVersion} on that starts
     * after {@code pos}, or -1. Searches byte by byte for a record marker, so it finds records
     * after damage that hides where the damaged record ends.
     */
    static long intactRecordAfter(FileChannel ch, long pos, long minVersion, long fileSize) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(BUFFER);
        long base = pos + 1;
        while ( base + HEADER_BYTES + TRAILER_BYTES <= fileSize ) {
            buf.clear();
            int n = ch.read(buf, base);
            if ( n < 4 )
                return -1;
            for ( int i = 0 ; i + 4 <= n ; i++ ) {
                if ( buf.getInt(i) == MAGIC && isIntactRecord(ch, base + i, minVersion, fileSize) )
                    return base + i;
            }
            base += n - 3;
        }
        return -1;
    }

    private static boolean isIntactRecord(FileChannel ch, long pos, long minVersion, long fileSize) throws IOException {
        if ( fileSize - pos < HEADER_BYTES + TRAILER_BYTES )
            return false;
        long version = header(ch, pos).getLong(AT_VERSION);
        return version >= minVersion && version - minVersion < VERSION_WINDOW && problem(ch, pos, version, fileSize) == null;
    }

    /** Reads record headers front to back through a read-ahead buffer: one read covers many small records. */
    static final class Headers {
        private final FileChannel ch;
        private final long fileSize;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        private long bufStart = -1;

        Headers(FileChannel ch, long fileSize) {
            this.ch = ch;
            this.fileSize = fileSize;
        }

        /** The header at {@code pos}, which must lie within the file; valid until the next call. */
        ByteBuffer at(long pos) throws IOException {
            if ( bufStart < 0 || pos < bufStart || pos + HEADER_BYTES > bufStart + buf.limit() ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), fileSize - pos));
                readFully(ch, buf, pos);
                buf.flip();
                bufStart = pos;
            }
            return buf.slice((int)(pos - bufStart), HEADER_BYTES);
        }
    }

    static ByteBuffer header(FileChannel ch, long pos) throws IOException {
        ByteBuffer hdr = ByteBuffer.allocate(HEADER_BYTES);
        readFully(ch, hdr, pos);
        hdr.flip();
        return hdr;
    }

    static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        long p = pos;
        while ( buf.hasRemaining() ) {
            int r = ch.read(buf, p);
            if ( r < 0 )
                throw new IOException("Unexpected end of file at " + p);
            p += r;
        }
    }
}
