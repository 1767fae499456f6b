package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The history index's entry: {@value #SIZE} bytes saying that a version added and removed so
 * many quads with subject {@code s}, predicate {@code p} in graph {@code g} (64-bit keys,
 * {@link TermHash}), with its own CRC; and the bucket files that hold them, by subject key.
 * Layout: s, p, g, version (8 bytes each), added, removed (4 each), CRC32C of the rest (4).
 */
final class IndexEntry {
    static final int SIZE = 44;
    private static final int BUCKET_BITS = 6;
    static final int BUCKETS = 1 << BUCKET_BITS;
    private static final int READ_ENTRIES = 1024;

    private IndexEntry() {}

    static int bucketOf(long subjectKey) {
        return (int)(subjectKey >>> (64 - BUCKET_BITS));
    }

    static String bucketName(int b) {
        return String.format("b%02d", b);
    }

    /** Append one entry to {@code buf}. */
    static void put(ByteBuffer buf, long s, long p, long g, long version, int added, int removed, CRC32C crc) {
        int at = buf.position();
        buf.putLong(s).putLong(p).putLong(g).putLong(version).putInt(added).putInt(removed);
        crc.reset();
        crc.update(buf.array(), at, SIZE - 4);
        buf.putInt((int)crc.getValue());
    }

    private static boolean intact(ByteBuffer buf, int at, CRC32C crc) {
        crc.reset();
        crc.update(buf.array(), at, SIZE - 4);
        return (int)crc.getValue() == buf.getInt(at + SIZE - 4);
    }

    /** An entry that fails its checksum, or a file shorter than its recorded length. */
    static final class Damage extends Exception {
        Damage(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The newest {@code keep} versions in the first {@code length} bytes of a bucket file (in
     * version order) whose entries match subject {@code s} and, when not null, predicate {@code p}
     * and graph {@code g}, with a version after {@code floor} and before {@code before}; each with
     * its quads added and removed, summed.
     *
     * @throws NoSuchFileException when the file is gone
     * @throws Damage when an entry fails its checksum or the file is short
     */
    static NavigableMap<Long, long[]> scan(Path file, long length, long s, Long p, Long g, long floor, long before, int keep)
        throws IOException, Damage {
        TreeMap<Long, long[]> found = new TreeMap<>();
        if ( length == 0 )
            return found;
        ByteBuffer buf = ByteBuffer.allocate(SIZE * READ_ENTRIES);
        CRC32C crc = new CRC32C();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long pos = 0;
            while ( pos < length ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), length - pos));
                while ( buf.hasRemaining() ) {
                    if ( ch.read(buf, pos + buf.position()) < 0 )
                        throw new Damage(file + " is shorter than " + length + " bytes");
                }
                buf.flip();
                pos += buf.limit();
                while ( buf.remaining() >= SIZE ) {
                    int at = buf.position();
                    if ( !intact(buf, at, crc) )
                        throw new Damage("entry at byte " + (pos - buf.limit() + at) + " of " + file + " fails its checksum");
                    long es = buf.getLong(at);
                    long ep = buf.getLong(at + 8);
                    long eg = buf.getLong(at + 16);
                    long ev = buf.getLong(at + 24);
                    buf.position(at + SIZE);
                    if ( es != s || ev <= floor || ev >= before || (p != null && ep != p) || (g != null && eg != g) )
                        continue;
                    long[] counts = found.computeIfAbsent(ev, k -> new long[2]);
                    counts[0] += buf.getInt(at + 32);
                    counts[1] += buf.getInt(at + 36);
                    // Entries come in version order, so the oldest kept version can have no more entries.
                    if ( found.size() > keep )
                        found.pollFirstEntry();
                }
            }
        }
        return found;
    }

    /**
     * Check every entry in the first {@code length} bytes of a bucket file: its checksum, and a
     * version no later than {@code maxVersion}.
     *
     * @return the number of entries
     * @throws Damage naming the first entry that fails
     */
    static long verify(Path f, long length, long maxVersion) throws IOException, Damage {
        if ( length == 0 )
            return 0;
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocate(SIZE * READ_ENTRIES);
        long pos = 0;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            while ( pos < length ) {
                buf.clear();
                buf.limit((int)Math.min(buf.capacity(), length - pos));
                while ( buf.hasRemaining() )
                    if ( ch.read(buf, pos + buf.position()) < 0 )
                        throw new Damage(f + " ends early");
                for ( int at = 0 ; at + SIZE <= buf.limit() ; at += SIZE ) {
                    if ( !intact(buf, at, crc) )
                        throw new Damage("entry at byte " + (pos + at) + " of " + f + " fails its checksum");
                    if ( buf.getLong(at + 24) > maxVersion )
                        throw new Damage("entry at byte " + (pos + at) + " of " + f + " is for a version after the checkpoint");
                }
                pos += buf.limit();
            }
        }
        return length / SIZE;
    }
}
