package org.fusekicdc.core.internal.wire;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A body being written whose length is not known in advance: kept in memory up to a threshold
 * (one message, so a patch that fits in one message never touches the disk), past it moved to a
 * temporary file. Closing deletes the file.
 */
public final class SpillingOutput extends OutputStream {
    private final int threshold;
    private final Path tmpDir;
    private final String prefix;
    private ByteArrayOutputStream memory = new ByteArrayOutputStream();
    private Path file;
    private OutputStream fileOut;
    private long length;

    /**
     * @param threshold most bytes kept in memory
     * @param tmpDir    where the temporary file goes, created when needed
     * @param prefix    the temporary file's name prefix
     */
    public SpillingOutput(int threshold, Path tmpDir, String prefix) {
        this.threshold = threshold;
        this.tmpDir = tmpDir;
        this.prefix = prefix;
    }

    @Override
    public void write(int b) throws IOException {
        if ( memory != null && memory.size() < threshold ) {
            memory.write(b);
            length++;
        } else {
            write(new byte[] {(byte)b}, 0, 1);
        }
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if ( memory != null && memory.size() + len > threshold ) {
            Files.createDirectories(tmpDir);
            file = Files.createTempFile(tmpDir, prefix, ".msg");
            fileOut = Files.newOutputStream(file);
            memory.writeTo(fileOut);
            memory = null;
        }
        if ( memory != null )
            memory.write(b, off, len);
        else
            fileOut.write(b, off, len);
        length += len;
    }

    /** The bytes written so far. */
    public long length() {
        return length;
    }

    /** The body, when it stayed in memory; else null. */
    public byte[] inMemory() {
        return memory == null ? null : memory.toByteArray();
    }

    /** Read the body from its start, when it went to a file; call once writing is done. */
    public InputStream open() throws IOException {
        if ( memory != null )
            return new ByteArrayInputStream(memory.toByteArray());
        fileOut.close();
        return Files.newInputStream(file);
    }

    /** Delete the temporary file, if any. */
    @Override
    public void close() {
        try {
            if ( fileOut != null )
                fileOut.close();
            if ( file != null )
                Files.deleteIfExists(file);
        } catch (IOException ex) {
            // A leftover temp file only costs disk space.
        }
    }
}
