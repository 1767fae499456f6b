package org.fusekicdc.fuseki.stream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A response body written to a file first, then sent from the file a piece at a time and the
 * file deleted. For snapshots: the read transaction is held only while the file is written, at
 * disk speed, never while a slow client reads; memory is a piece whatever the snapshot size.
 * The file goes in the dataset's snapshot directory (next to the log, not in a temporary file
 * system that may be memory).
 */
public final class SpooledBody implements ResponseStreams.Body {
    private static final Logger LOG = LoggerFactory.getLogger(SpooledBody.class);
    private static final int PIECE_BYTES = 64 * 1024;

    /** Writes the body. */
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private final Path file;
    private final long size;
    private InputStream in;
    private long sent;
    private boolean closed;

    private SpooledBody(Path file) throws IOException {
        this.file = file;
        this.size = Files.size(file);
        this.in = Files.newInputStream(file);
    }

    /**
     * Write a body of a dataset to a new file with {@code writer}, on this thread.
     *
     * @param dataset the dataset's name, for errors
     * @param dir     where to write the file: the dataset's {@code cdc:snapshotDirectory}
     * @param name    what the file holds, for its name
     */
    public static SpooledBody write(String dataset, Path dir, String name, Writer writer) {
        Path file = null;
        try {
            Files.createDirectories(dir);
            file = Files.createTempFile(dir, name + "-", ".sending");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), PIECE_BYTES)) {
                writer.writeTo(out);
            }
            return new SpooledBody(file);
        } catch (IOException ex) {
            delete(file);
            throw new UncheckedIOException("Dataset '" + dataset + "': cannot write " + name + " to " + (file == null ? dir : file)
                                           + " before sending it: " + ex + ". Check the free space and permissions of cdc:snapshotDirectory.", ex);
        } catch (RuntimeException ex) {
            delete(file);
            throw ex;
        }
    }

    /** Bytes in the body. */
    public long size() {
        return size;
    }

    @Override
    public synchronized byte[] next() throws IOException {
        if ( closed )
            return null;
        byte[] piece = in.readNBytes(PIECE_BYTES);
        sent += piece.length;
        return piece.length == 0 ? null : piece;
    }

    @Override
    public synchronized boolean ended() {
        return closed || sent == size;
    }

    @Override
    public synchronized String progress() {
        return sent + " of " + size + " bytes";
    }

    @Override
    public synchronized void close() {
        if ( closed )
            return;
        closed = true;
        try {
            in.close();
        } catch (IOException ex) {
            // Releasing the file: it is deleted next.
        }
        delete(file);
    }

    private static void delete(Path file) {
        if ( file == null )
            return;
        try {
            Files.deleteIfExists(file);
        } catch (IOException ex) {
            LOG.warn("Cannot delete {}, a response already sent: {}. Delete it by hand.", file, ex.toString());
        }
    }
}
