package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One file of the change log holding consecutive versions, plus its index file.
 * <p>
 * Record layout (big-endian):
 * <pre>
 *   int  magic "CDC1"
 *   long version
 *   long timestamp (ms)
 *   long id (most, least significant bits)
 *   long prev id (most, least; zero when none)
 *   long payload length N
 *   N bytes payload (RDF Patch text)
 *   int  CRC32C of payload followed by the header
 * </pre>
 * The index file holds one 8-byte record offset per version. It is not forced to disk: it is
 * checked against every record header when the segment is opened and rebuilt from the segment if
 * it disagrees. Every read checks the whole record ({@link RecordCheck}); a record that fails is
 * never returned.
 */
final class Segment implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Segment.class);

    static final int MAGIC = 0x43444331;
    static final int AT_VERSION = 4;
    private static final int AT_TIMESTAMP = 12;
    private static final int AT_ID = 20;
    private static final int AT_PREV = 36;
    static final int AT_LENGTH = 52;
    static final int HEADER_BYTES = AT_LENGTH + 8;
    static final int TRAILER_BYTES = 4;
    static final int IO_BUFFER = 64 * 1024;

    private final String dataset;
    private final long firstVersion;
    private final Path logFile;
    private final Path indexFile;
    private final FileChannel log;
    private final FileChannel index;
    private volatile long size;
    private volatile long count;

    private Segment(String dataset, long firstVersion, Path logFile, Path indexFile, FileChannel log, FileChannel index) {
        this.dataset = dataset;
        this.firstVersion = firstVersion;
        this.logFile = logFile;
        this.indexFile = indexFile;
        this.log = log;
        this.index = index;
    }

    static String fileName(long firstVersion) {
        return String.format("%020d.log", firstVersion);
    }

    static String indexName(long firstVersion) {
        return String.format("%020d.idx", firstVersion);
    }

    /** Create an empty segment whose first record will carry {@code firstVersion}. */
    static Segment create(String dataset, Path dir, long firstVersion) throws IOException {
        Path lf = dir.resolve(fileName(firstVersion));
        Path xf = dir.resolve(indexName(firstVersion));
        FileChannel lc = FileChannel.open(lf, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel xc = FileChannel.open(xf, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                                          StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment seg = new Segment(dataset, firstVersion, lf, xf, lc, xc);
        seg.size = 0;
        seg.count = 0;
        return seg;
    }

    /**
     * Open an existing segment. The last segment of a log is always scanned record by record and a
     * torn tail (an append a crash interrupted) is cut off; for the others every record header is
     * checked against the index, and the segment scanned when they disagree. A damaged record
     * stops the open with a {@link DamagedRecordException}.
     */
    static Segment open(String dataset, Path dir, long firstVersion, boolean last) throws IOException {
        Path lf = dir.resolve(fileName(firstVersion));
        Path xf = dir.resolve(indexName(firstVersion));
        FileChannel lc = FileChannel.open(lf, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileChannel xc = FileChannel.open(xf, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment seg = new Segment(dataset, firstVersion, lf, xf, lc, xc);
        try {
            if ( last || !seg.indexConsistent() )
                seg.scanAndRepair(last);
        } catch (IOException | RuntimeException ex) {
            seg.close();
            throw ex;
        }
        return seg;
    }

    long firstVersion() { return firstVersion; }

    /** Number of records. */
    long count() { return count; }

    /** Version of the last record, or firstVersion-1 when empty. */
    long lastVersion() { return firstVersion + count - 1; }

    long sizeBytes() { return size; }

    Path file() { return logFile; }

    /** Whether the index and the record headers agree: every marker, version and length chains to the file's end. */
    private boolean indexConsistent() throws IOException {
        long idxSize = index.size();
        long fileSize = log.size();
        if ( idxSize % 8 != 0 || idxSize == 0 )
            return false;
        long n = idxSize / 8;
        ByteBuffer offsets = ByteBuffer.allocate(IO_BUFFER);
        RecordCheck.Headers headers = new RecordCheck.Headers(log, fileSize);
        long pos = 0;
        for ( long i = 0 ; i < n ; i++ ) {
            if ( !offsets.hasRemaining() || i == 0 ) {
                offsets.clear();
                offsets.limit((int)Math.min(IO_BUFFER, (n - i) * 8));
                RecordCheck.readFully(index, offsets, i * 8);
                offsets.flip();
            }
            if ( offsets.getLong() != pos || pos + HEADER_BYTES + TRAILER_BYTES > fileSize )
                return false;
            ByteBuffer hdr = headers.at(pos);
            long len = hdr.getLong(AT_LENGTH);
            if ( hdr.getInt(0) != MAGIC || hdr.getLong(AT_VERSION) != firstVersion + i || len < 0 )
                return false;
            pos += HEADER_BYTES + len + TRAILER_BYTES;
        }
        if ( pos != fileSize )
            return false;
        size = fileSize;
        count = n;
        return true;
    }

    /**
     * Read every record, check it and rebuild the index. In the last segment a torn tail is cut
     * off; any other failure is a damaged record, and stops the open.
     */
    private void scanAndRepair(boolean last) throws IOException {
        long fileSize = log.size();
        long pos = 0;
        long n = 0;
        String problem = null;
        ByteBuffer idxBuf = ByteBuffer.allocate(IO_BUFFER);
        index.truncate(0);
        long idxPos = 0;
        while ( pos < fileSize ) {
            RecordCheck.Result checked = RecordCheck.check(log, pos, firstVersion + n, fileSize);
            problem = checked.problem();
            if ( problem != null )
                break;
            if ( idxBuf.remaining() < 8 ) {
                idxBuf.flip();
                idxPos += ChannelStreams.writeFully(index, idxBuf, idxPos);
                idxBuf.clear();
            }
            idxBuf.putLong(pos);
            pos += HEADER_BYTES + checked.header().getLong(AT_LENGTH) + TRAILER_BYTES;
            n++;
        }
        idxBuf.flip();
        ChannelStreams.writeFully(index, idxBuf, idxPos);
        if ( problem != null ) {
            long version = firstVersion + n;
            LogDamage damage = new LogDamage(logFile, version, pos, problem);
            if ( !last )
                throw new DamagedRecordException(dataset, damage, "Later segments exist, so this record was written whole and acknowledged.");
            long intactAfter = RecordCheck.intactRecordAfter(log, pos, version + 1, fileSize);
            if ( intactAfter >= 0 )
                throw new DamagedRecordException(dataset, damage, "Intact records follow it (at byte " + intactAfter
                                                                  + "), so it was written whole and acknowledged.");
            if ( !RecordCheck.tornTail(log, pos, version, fileSize) )
                throw new DamagedRecordException(dataset, damage, "It is the last record, but not what an interrupted append leaves"
                                                                  + " (a file that ends inside the record, or zeros where its header goes):"
                                                                  + " it was damaged after it was written and may have been acknowledged, so it is not cut off.");
            LOG.warn("Dataset '{}': change log {} has a torn tail at byte {} ({} bytes, would-be version {}): {}. "
                     + "An append was interrupted before it was acknowledged; truncating it.",
                     dataset, logFile.getFileName(), pos, fileSize - pos, version, problem);
            log.truncate(pos);
            log.force(true);
        }
        size = pos;
        count = n;
    }

    private ByteBuffer readHeader(long pos) throws IOException {
        return RecordCheck.header(log, pos);
    }

    private long readIndex(long i) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8);
        RecordCheck.readFully(index, b, i * 8);
        return b.getLong(0);
    }

    private long offsetOf(long version) {
        if ( version < firstVersion || version > lastVersion() )
            throw new IllegalArgumentException("Version " + version + " is not in segment " + logFile.getFileName());
        try {
            return readIndex(version - firstVersion);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot read index " + indexFile + ": " + ex.getMessage(), ex);
        }
    }

    /**
     * The record of a version, checked whole (marker, version, length, checksum) before it is
     * returned.
     *
     * @throws DamagedRecordException if the record fails the check
     */
    LogRecord read(long version) {
        long pos = offsetOf(version);
        try {
            RecordCheck.Result checked = RecordCheck.check(log, pos, version, size);
            ByteBuffer hdr = checked.header();
            if ( hdr != null )
                return new LogRecord(metaOf(hdr), this, pos + HEADER_BYTES, hdr.getLong(AT_LENGTH));
            if ( !indexEntryChains(version, pos) )
                throw new ChangeLogException("Dataset '" + dataset + "': index " + indexFile + " points to a bad record for version "
                                             + version + " (" + checked.problem() + "); delete the .idx file and restart to rebuild it");
            throw new DamagedRecordException(dataset, new LogDamage(logFile, version, pos, checked.problem()), "It is not served.");
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot read version " + version + " from " + logFile + ": " + ex.getMessage(), ex);
        }
    }

    /** Whether the index's offset for a version is where the record before it ends: then the record, not the index, is bad. */
    private boolean indexEntryChains(long version, long pos) throws IOException {
        if ( version == firstVersion )
            return pos == 0;
        long prev = readIndex(version - firstVersion - 1);
        ByteBuffer hdr = readHeader(prev);
        return hdr.getInt(0) == MAGIC && prev + HEADER_BYTES + hdr.getLong(AT_LENGTH) + TRAILER_BYTES == pos;
    }

    private static RecordMeta metaOf(ByteBuffer hdr) {
        UUID id = new UUID(hdr.getLong(AT_ID), hdr.getLong(AT_ID + 8));
        long pm = hdr.getLong(AT_PREV);
        long pl = hdr.getLong(AT_PREV + 8);
        UUID prev = (pm == 0 && pl == 0) ? null : new UUID(pm, pl);
        return new RecordMeta(hdr.getLong(AT_VERSION), id, prev, hdr.getLong(AT_TIMESTAMP));
    }

    InputStream openRange(long offset, long length) {
        return new ChannelStreams.RangeInputStream(log, offset, length);
    }

    /**
     * Append a record at the end of this segment, its body written through {@code buffer}
     * (the writer's, reused by every append). On any failure the segment is cut back to where
     * it was, so a failed append leaves no trace.
     */
    LogRecord append(RecordMeta meta, PayloadWriter writer, boolean fsync, byte[] buffer) throws IOException {
        long start = size;
        try {
            CRC32C crc = new CRC32C();
            ChannelStreams.ChannelOutputStream body = new ChannelStreams.ChannelOutputStream(log, start + HEADER_BYTES, crc, buffer);
            writer.write(meta, body);
            body.close();
            long len = body.written();
            ByteBuffer hdr = ByteBuffer.allocate(HEADER_BYTES);
            hdr.putInt(MAGIC).putLong(meta.version()).putLong(meta.timestamp())
               .putLong(meta.id().getMostSignificantBits()).putLong(meta.id().getLeastSignificantBits())
               .putLong(meta.prevId() == null ? 0 : meta.prevId().getMostSignificantBits())
               .putLong(meta.prevId() == null ? 0 : meta.prevId().getLeastSignificantBits())
               .putLong(len);
            hdr.flip();
            crc.update(hdr);
            hdr.rewind();
            ChannelStreams.writeFully(log, hdr, start);
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES).putInt((int)crc.getValue());
            trailer.flip();
            ChannelStreams.writeFully(log, trailer, start + HEADER_BYTES + len);
            if ( fsync )
                log.force(false);
            ByteBuffer ix = ByteBuffer.allocate(8).putLong(start);
            ix.flip();
            ChannelStreams.writeFully(index, ix, count * 8);
            size = start + HEADER_BYTES + len + TRAILER_BYTES;
            count = count + 1;
            return new LogRecord(meta, this, start + HEADER_BYTES, len);
        } catch (IOException | RuntimeException | Error ex) {
            cutTo(start, count);
            throw ex;
        }
    }

    /** Force the records appended without fsync to disk. */
    void force() throws IOException {
        log.force(false);
    }

    /** Remove the last record (an append whose store commit failed, or one recovery decided was never committed). */
    void truncateLast(boolean fsync) throws IOException {
        if ( count == 0 )
            throw new IllegalStateException("Segment " + logFile + " is empty");
        cutTo(offsetOf(lastVersion()), count - 1);
        if ( fsync )
            log.force(true);
    }

    private void cutTo(long offset, long newCount) {
        try {
            log.truncate(offset);
            index.truncate(newCount * 8);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dataset + "': cannot truncate " + logFile + " to " + offset
                                           + " bytes; the log may hold a record that was not committed: " + ex.getMessage(), ex);
        }
        size = offset;
        count = newCount;
    }

    @Override
    public void close() {
        try {
            log.close();
        } catch (IOException ex) {
            LOG.warn("Dataset '{}': closing {}: {}", dataset, logFile, ex.getMessage());
        }
        try {
            index.close();
        } catch (IOException ex) {
            LOG.warn("Dataset '{}': closing {}: {}", dataset, indexFile, ex.getMessage());
        }
    }

    /** Close and delete both files (retention). */
    void delete() throws IOException {
        close();
        Files.deleteIfExists(logFile);
        Files.deleteIfExists(indexFile);
    }
}
