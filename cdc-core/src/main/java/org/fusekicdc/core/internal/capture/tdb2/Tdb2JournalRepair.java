package org.fusekicdc.core.internal.capture.tdb2;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Adler32;

import org.apache.jena.dboe.transaction.txn.ComponentId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cuts a torn entry off the end of a TDB2 journal before the database is opened.
 * <p>
 * TDB2 writes a journal entry as a header and then its data in two writes. A process killed
 * between them (kill -9, OOM killer) leaves a header with no data, and TDB2's recovery then
 * refuses to open the database ("Failed to read the journal entry data"). Such an entry belongs
 * to a transaction whose commit entry was never written, and TDB2's recovery discards the
 * entries of such a transaction anyway, so cutting the journal at the first incomplete or
 * damaged entry loses nothing committed. The change log's own recovery then removes the record
 * of that transaction (its changes are not in the data).
 * <p>
 * Only a database that no process has open is touched: TDB2 keeps an operating-system lock on
 * its {@code tdb.lock} files while it has the database open.
 */
public final class Tdb2JournalRepair {
    private static final Logger LOG = LoggerFactory.getLogger(Tdb2JournalRepair.class);

    /** TDB2's journal entry header: data length, Adler-32 of header and data, entry type, component id. */
    static final int HEADER_LENGTH = 4 + 4 + 4 + ComponentId.SIZE;
    static final int CHECKSUM_OFFSET = 4;
    static final String JOURNAL_FILE = "journal.jrnl";
    static final String LOCK_FILE = "tdb.lock";
    /** TDB2's storage directories under a database directory, each with its own journal. */
    static final String STORAGE_GLOB = "Data-*";

    private Tdb2JournalRepair() {}

    /** One journal that was cut. */
    public record Cut(Path journal, long keptBytes, long removedBytes) {}

    /**
     * Cuts torn tails off the journals of the TDB2 database at {@code databaseDir} (the
     * {@code tdb2:location}), unless a live process has the database open.
     *
     * @return the journals that were cut (empty if none needed it or the database is in use)
     */
    public static List<Cut> repairTornTail(Path databaseDir) {
        List<Cut> cuts = new ArrayList<>();
        if ( !Files.isDirectory(databaseDir) || isOpen(databaseDir) )
            return cuts;
        try (DirectoryStream<Path> storages = Files.newDirectoryStream(databaseDir, STORAGE_GLOB)) {
            for ( Path storage : storages ) {
                Path journal = storage.resolve(JOURNAL_FILE);
                if ( Files.isRegularFile(journal) && !isOpen(storage) ) {
                    Cut cut = cutTornTail(journal);
                    if ( cut != null )
                        cuts.add(cut);
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot check the TDB2 journal in " + databaseDir + ": " + ex.getMessage(), ex);
        }
        return cuts;
    }

    /** TDB2 holds an operating-system lock on {@code tdb.lock} while a process (this one included) has the database open. */
    private static boolean isOpen(Path dir) {
        Path lock = dir.resolve(LOCK_FILE);
        if ( !Files.isRegularFile(lock) )
            return false;
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if ( probe == null )
                return true;
            probe.release();
            return false;
        } catch (OverlappingFileLockException ex) {
            return true;
        } catch (IOException ex) {
            // An unusable lock file: leave the database to TDB2, which reports it.
            return true;
        }
    }

    /** Cuts {@code journal} after its last complete, intact entry; null if nothing was cut. */
    static Cut cutTornTail(Path journal) throws IOException {
        try (FileChannel channel = FileChannel.open(journal, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            long intactEnd = 0;
            ByteBuffer header = ByteBuffer.allocate(HEADER_LENGTH);
            while ( intactEnd < size ) {
                long entryEnd = intactEntryEnd(channel, intactEnd, size, header);
                if ( entryEnd < 0 )
                    break;
                intactEnd = entryEnd;
            }
            if ( intactEnd == size )
                return null;
            channel.truncate(intactEnd);
            channel.force(true);
            LOG.warn("TDB2 journal {}: cut {} bytes from an entry left incomplete or damaged by a crash (its transaction never committed); {} bytes kept",
                     journal, size - intactEnd, intactEnd);
            return new Cut(journal, intactEnd, size - intactEnd);
        }
    }

    /** The end of the entry at {@code start} if it is complete and its checksum matches, else -1. */
    private static long intactEntryEnd(FileChannel channel, long start, long size, ByteBuffer header) throws IOException {
        if ( size - start < HEADER_LENGTH )
            return -1;
        header.clear();
        readFully(channel, header, start);
        int length = Math.max(header.getInt(0), 0);   // -1: an entry without data
        int checksum = header.getInt(CHECKSUM_OFFSET);
        if ( size - start - HEADER_LENGTH < length )
            return -1;
        header.putInt(CHECKSUM_OFFSET, 0);
        Adler32 adler = new Adler32();
        adler.update(header.array());
        if ( length > 0 ) {
            ByteBuffer data = ByteBuffer.allocate(length);
            readFully(channel, data, start + HEADER_LENGTH);
            data.flip();
            adler.update(data);
        }
        return (int)adler.getValue() == checksum ? start + HEADER_LENGTH + length : -1;
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while ( buffer.hasRemaining() ) {
            int n = channel.read(buffer, position + buffer.position());
            if ( n < 0 )
                throw new IOException("unexpected end of file at " + (position + buffer.position()));
        }
    }
}
