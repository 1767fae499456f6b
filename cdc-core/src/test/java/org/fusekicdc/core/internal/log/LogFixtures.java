package org.fusekicdc.core.internal.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.zip.CRC32C;

/** Shared helpers for the change log tests: configs, payloads and direct access to the files on disk. */
final class LogFixtures {
    private static final Map<ChangeLog, LogWriter> WRITERS = Collections.synchronizedMap(new WeakHashMap<>());
    static final String DATASET = "ds";
    /** Record overhead on disk: header plus checksum trailer. */
    static final int OVERHEAD = Segment.HEADER_BYTES + Segment.TRAILER_BYTES;
    /** With 300-byte payloads a 1024-byte segment holds three records: 3 * 368 = 1104 >= 1024. */
    static final int PAYLOAD = 300;
    static final int SMALL_SEGMENT = 1024;
    static final int PER_SEGMENT = 3;

    private LogFixtures() {}

    /** Fast config (no fsync) with big segments that keeps everything. */
    static ChangeLogConfig config(Path dir) {
        return ChangeLogConfig.defaults(dir, DATASET).withFsync(false);
    }

    /** Fast config with 1024-byte segments: three {@link #PAYLOAD}-byte records per segment. */
    static ChangeLogConfig smallSegments(Path dir) {
        return config(dir).withSegmentBytes(SMALL_SEGMENT);
    }

    /** Deterministic payload of {@link #PAYLOAD} bytes that names its version. */
    static byte[] payload(long version) {
        return payload(version, PAYLOAD);
    }

    static byte[] payload(long version, int size) {
        byte[] b = new byte[size];
        byte[] tag = ("patch " + version + ";").getBytes(StandardCharsets.US_ASCII);
        for ( int i = 0 ; i < size ; i++ )
            b[i] = tag[i % tag.length];
        return b;
    }

    /** The log's writer, claimed on first use (a log gives out its writer once). */
    static LogWriter writer(ChangeLog log) {
        return WRITERS.computeIfAbsent(log, LogWriter::claim);
    }

    static PayloadWriter writing(byte[] bytes) {
        return (meta, out) -> out.write(bytes);
    }

    /** Append and publish {@link #payload(long)} for the next version. */
    static RecordMeta appendPublished(ChangeLog log) {
        long v = log.headVersion() + 1;
        RecordMeta m = writer(log).append(writing(payload(v)));
        writer(log).publish(m.version());
        return m;
    }

    /** Append and publish n records; returns their metadata in order. */
    static List<RecordMeta> appendPublished(ChangeLog log, int n) {
        List<RecordMeta> metas = new ArrayList<>();
        for ( int i = 0 ; i < n ; i++ )
            metas.add(appendPublished(log));
        return metas;
    }

    static void assertPayload(ChangeLog log, long version) {
        LogRecord r = log.read(version);
        assertEquals(version, r.version());
        assertArrayEquals(payload(version), r.payloadBytes(), "payload of version " + version);
    }

    static Path segmentFile(Path dir, long firstVersion) {
        return dir.resolve(Segment.fileName(firstVersion));
    }

    static Path indexFile(Path dir, long firstVersion) {
        return dir.resolve(Segment.indexName(firstVersion));
    }

    /** First version of every segment on disk, in order. */
    static List<Long> segmentStarts(Path dir) throws IOException {
        try (var files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".log"))
                        .map(n -> Long.parseLong(n.substring(0, n.length() - 4)))
                        .sorted()
                        .toList();
        }
    }

    /** Byte offset in its segment file of the record of {@code version}, found by walking the records. */
    static long offsetOf(Path segment, long firstVersion, long version) throws IOException {
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            long pos = 0;
            for ( long v = firstVersion ; v < version ; v++ )
                pos += OVERHEAD + header(ch, pos).getLong(52);
            return pos;
        }
    }

    static void flipByte(Path file, long pos) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, pos);
            b.put(0, (byte)(b.get(0) ^ 0x5A));
            b.rewind();
            ch.write(b, pos);
        }
    }

    static void appendBytes(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    /**
     * Rewrite the timestamp of every record in a (closed) segment file, keeping the checksums
     * valid, as if the records had been written {@code ageMillis} ago. Offsets do not change, so
     * the index stays valid.
     */
    static void ageRecords(Path segment, long ageMillis) throws IOException {
        long ts = System.currentTimeMillis() - ageMillis;
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long pos = 0;
            long size = ch.size();
            while ( pos < size ) {
                ByteBuffer hdr = header(ch, pos);
                long len = hdr.getLong(52);
                hdr.putLong(12, ts);
                ByteBuffer body = ByteBuffer.allocate((int)len);
                ch.read(body, pos + Segment.HEADER_BYTES);
                body.flip();
                CRC32C crc = new CRC32C();
                crc.update(body);
                hdr.rewind();
                crc.update(hdr);
                hdr.rewind();
                ch.write(hdr, pos);
                ch.write(ByteBuffer.allocate(4).putInt(0, (int)crc.getValue()), pos + Segment.HEADER_BYTES + len);
                pos += OVERHEAD + len;
            }
        }
    }

    private static ByteBuffer header(FileChannel ch, long pos) throws IOException {
        ByteBuffer hdr = ByteBuffer.allocate(Segment.HEADER_BYTES);
        while ( hdr.hasRemaining() ) {
            if ( ch.read(hdr, pos + hdr.position()) < 0 )
                throw new IOException("end of file in header at " + pos);
        }
        hdr.flip();
        return hdr;
    }
}
