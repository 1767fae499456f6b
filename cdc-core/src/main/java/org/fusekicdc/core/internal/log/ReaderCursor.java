package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Pattern;

/**
 * A named reader's durable position in the change log: the last version it has fully handled.
 * Stored as a small file, replaced atomically on every acknowledgement.
 */
public final class ReaderCursor {
    static final String SUFFIX = ".cursor";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");

    private final Path file;
    private final String dataset;
    private final String name;
    private volatile long acknowledged;

    private ReaderCursor(Path file, String dataset, String name, long acknowledged) {
        this.file = file;
        this.dataset = dataset;
        this.name = name;
        this.acknowledged = acknowledged;
    }

    static ReaderCursor create(Path dir, String dataset, String name) {
        if ( !NAME.matcher(name).matches() )
            throw new IllegalArgumentException("Reader name '" + name + "' must be 1-100 characters of A-Z a-z 0-9 . _ -");
        Path f = dir.resolve(name + SUFFIX);
        try {
            Files.createDirectories(dir);
            if ( Files.exists(f) )
                return load(f, dataset);
            ReaderCursor c = new ReaderCursor(f, dataset, name, 0);
            c.write(0);
            return c;
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot create reader cursor " + f + ": " + ex, ex);
        }
    }

    static ReaderCursor load(Path f, String dataset) {
        String fn = f.getFileName().toString();
        String name = fn.substring(0, fn.length() - SUFFIX.length());
        try {
            String text = Files.readString(f, StandardCharsets.US_ASCII).trim();
            return new ReaderCursor(f, dataset, name, Long.parseLong(text));
        } catch (IOException | NumberFormatException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': reader cursor " + f + " is unreadable (" + ex
                                         + "). Delete it to reset reader '" + name + "' to version 0.", ex);
        }
    }

    public String name() {
        return name;
    }

    /** The last version this reader has acknowledged; 0 for none. */
    public long acknowledged() {
        return acknowledged;
    }

    /** Durably record that this reader has handled every version up to {@code version}. */
    public synchronized void acknowledge(long version) {
        if ( version < acknowledged )
            throw new IllegalArgumentException("Reader '" + name + "' of dataset '" + dataset + "': cannot acknowledge version " + version
                                               + " after " + acknowledged + "; use rewind to go back");
        if ( version == acknowledged )
            return;
        write(version);
    }

    /** Move the cursor back (replay) or anywhere else; an admin operation. */
    public synchronized void rewind(long version) {
        if ( version < 0 )
            throw new IllegalArgumentException("Reader '" + name + "': version must be >= 0, got " + version);
        write(version);
    }

    private void write(long version) {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                                                   StandardOpenOption.WRITE)) {
                ch.write(java.nio.ByteBuffer.wrap((version + "\n").getBytes(StandardCharsets.US_ASCII)));
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot write reader cursor " + file + ": " + ex, ex);
        }
        acknowledged = version;
    }

    void delete() {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ex) {
            throw new ChangeLogException("Dataset '" + dataset + "': cannot delete reader cursor " + file + ": " + ex, ex);
        }
    }

    @Override
    public String toString() {
        return "ReaderCursor[" + name + "@" + acknowledged + "]";
    }
}
