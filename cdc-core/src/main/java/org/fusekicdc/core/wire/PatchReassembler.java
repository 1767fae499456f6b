package org.fusekicdc.core.wire;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Consumer side of {@link PatchMessages}: turns the messages read from a topic or subject back
 * into whole patches, in order, once each.
 * <p>
 * Parts of a patch are kept in a temporary file until the last one arrives. A patch whose
 * parts start again (the publisher restarted part-way) starts over; a message for a
 * version already returned is a duplicate and is dropped. Parts whose first part was
 * not seen (reading began part-way through a patch, or the broker's retention removed its
 * start) are dropped: the patch cannot be completed from them.
 */
public final class PatchReassembler implements AutoCloseable {
    private final Path tmpDir;
    private long lastVersion;
    private String partialId;
    private Map<String, String> partialHeaders;
    private int nextPart;
    private int parts;
    private Path partialFile;
    private OutputStream partialOut;

    /** @param tmpDir where parts of a patch wait for the rest */
    public PatchReassembler(Path tmpDir) {
        this.tmpDir = tmpDir;
    }

    /** @param afterVersion versions up to this one are treated as already seen */
    public PatchReassembler(Path tmpDir, long afterVersion) {
        this(tmpDir);
        this.lastVersion = afterVersion;
    }

    /**
     * A whole patch: its headers (those of its first message) and its bytes, in memory or, for a
     * patch assembled from parts, in a temporary file that {@link #close} deletes.
     */
    public record Patch(Map<String, String> headers, long version, Path file, byte[] bytes) implements AutoCloseable {
        public InputStream open() {
            try {
                return file != null ? Files.newInputStream(file) : new ByteArrayInputStream(bytes);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }

        /** Delete the temporary file, if any; the patch cannot be read afterwards. */
        @Override
        public void close() {
            if ( file == null )
                return;
            try {
                Files.deleteIfExists(file);
            } catch (IOException ex) {
                // Only a temporary file is left behind.
            }
        }
    }

    /**
     * Take one message.
     *
     * @return the patch, when this message completes one
     * @throws IllegalArgumentException for a message that is not a fuseki-cdc patch message (its
     *         part headers included), or a part that does not continue the patch being assembled
     */
    public Optional<Patch> offer(Map<String, String> headers, byte[] value) {
        long version = number(headers, PatchMessages.VERSION);
        long partNumber = headers.containsKey(PatchMessages.PART) ? number(headers, PatchMessages.PART) : 0;
        long partCount = headers.containsKey(PatchMessages.PARTS) ? number(headers, PatchMessages.PARTS) : 1;
        String id = headers.get(PatchMessages.ID);
        if ( partCount < 1 || partCount > Integer.MAX_VALUE || partNumber < 0 || partNumber >= partCount )
            throw new IllegalArgumentException("Part " + partNumber + " of " + partCount + " (headers " + PatchMessages.PART + ", "
                                               + PatchMessages.PARTS + ") of version " + version + " is not a part of a patch:"
                                               + " parts are numbered from 0 to their count - 1");
        if ( partCount > 1 && id == null )
            throw new IllegalArgumentException("Part " + partNumber + " of version " + version + " has no " + PatchMessages.ID
                                               + " header: the parts of a patch cannot be matched without it");
        int part = (int)partNumber;
        int count = (int)partCount;
        if ( version <= lastVersion )
            return Optional.empty();
        if ( part == 0 )
            discardPartial();
        else if ( partialId == null )
            return Optional.empty();
        else if ( !partialId.equals(id) || part != nextPart )
            throw new IllegalArgumentException("Part " + part + " of patch " + id + " (version " + version + ") arrived out of order"
                                               + "; expected part " + nextPart + " of " + partialId);
        if ( count == 1 ) {
            lastVersion = version;
            return Optional.of(new Patch(Map.copyOf(headers), version, null, value));
        }
        try {
            if ( part == 0 ) {
                Files.createDirectories(tmpDir);
                partialFile = Files.createTempFile(tmpDir, "assemble-" + version + "-", ".part");
                partialOut = Files.newOutputStream(partialFile);
                partialId = id;
                partialHeaders = Map.copyOf(headers);
                parts = count;
            }
            partialOut.write(value);
            nextPart = part + 1;
            if ( nextPart < parts )
                return Optional.empty();
            partialOut.close();
            Patch p = new Patch(partialHeaders, version, partialFile, null);
            partialOut = null;
            partialFile = null;
            partialId = null;
            lastVersion = version;
            return Optional.of(p);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot keep patch parts in " + tmpDir + ": " + ex, ex);
        }
    }

    /** The last whole patch's version. */
    public long lastVersion() {
        return lastVersion;
    }

    private static long number(Map<String, String> headers, String name) {
        String s = headers.get(name);
        if ( s == null )
            throw new IllegalArgumentException("Not a fuseki-cdc patch message: no " + name + " header");
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException("Header " + name + " is not a number: " + s);
        }
    }

    private void discardPartial() {
        if ( partialOut == null )
            return;
        try {
            partialOut.close();
            Files.deleteIfExists(partialFile);
        } catch (IOException ex) {
            // Only a temporary file is lost.
        }
        partialOut = null;
        partialFile = null;
        partialId = null;
        partialHeaders = null;
    }

    @Override
    public void close() {
        discardPartial();
    }
}
