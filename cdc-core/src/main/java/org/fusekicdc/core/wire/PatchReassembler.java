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
 * Segments of a patch are kept in a temporary file until the last one arrives. A patch whose
 * segments start again (the publisher restarted part-way) starts over; a message for a
 * version already returned is a duplicate and is dropped. Segments whose first segment was
 * not seen (reading began part-way through a patch, or the broker's retention removed its
 * start) are dropped: the patch cannot be completed from them.
 */
public final class PatchReassembler implements AutoCloseable {
    private final Path tmpDir;
    private long lastVersion;
    private String partialId;
    private Map<String, String> partialHeaders;
    private int nextSegment;
    private int segments;
    private Path partialFile;
    private OutputStream partialOut;

    /** @param tmpDir where segments of a patch wait for the rest */
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
     * patch assembled from segments, in a temporary file that {@link #close} deletes.
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
     *         segment headers included), or a segment that does not continue the patch being assembled
     */
    public Optional<Patch> offer(Map<String, String> headers, byte[] value) {
        long version = number(headers, PatchMessages.VERSION);
        long segmentNumber = headers.containsKey(PatchMessages.SEGMENT) ? number(headers, PatchMessages.SEGMENT) : 0;
        long segmentCount = headers.containsKey(PatchMessages.SEGMENTS) ? number(headers, PatchMessages.SEGMENTS) : 1;
        String id = headers.get(PatchMessages.ID);
        if ( segmentCount < 1 || segmentCount > Integer.MAX_VALUE || segmentNumber < 0 || segmentNumber >= segmentCount )
            throw new IllegalArgumentException("Segment " + segmentNumber + " of " + segmentCount + " (headers " + PatchMessages.SEGMENT + ", "
                                               + PatchMessages.SEGMENTS + ") of version " + version + " is not a segment of a patch:"
                                               + " segments are numbered from 0 to their count - 1");
        if ( segmentCount > 1 && id == null )
            throw new IllegalArgumentException("Segment " + segmentNumber + " of version " + version + " has no " + PatchMessages.ID
                                               + " header: the segments of a patch cannot be matched without it");
        int segment = (int)segmentNumber;
        int count = (int)segmentCount;
        if ( version <= lastVersion )
            return Optional.empty();
        if ( segment == 0 )
            discardPartial();
        else if ( partialId == null )
            return Optional.empty();
        else if ( !partialId.equals(id) || segment != nextSegment )
            throw new IllegalArgumentException("Segment " + segment + " of patch " + id + " (version " + version + ") arrived out of order"
                                               + "; expected segment " + nextSegment + " of " + partialId);
        if ( count == 1 ) {
            lastVersion = version;
            return Optional.of(new Patch(Map.copyOf(headers), version, null, value));
        }
        try {
            if ( segment == 0 ) {
                Files.createDirectories(tmpDir);
                partialFile = Files.createTempFile(tmpDir, "assemble-" + version + "-", ".part");
                partialOut = Files.newOutputStream(partialFile);
                partialId = id;
                partialHeaders = Map.copyOf(headers);
                segments = count;
            }
            partialOut.write(value);
            nextSegment = segment + 1;
            if ( nextSegment < segments )
                return Optional.empty();
            partialOut.close();
            Patch p = new Patch(partialHeaders, version, partialFile, null);
            partialOut = null;
            partialFile = null;
            partialId = null;
            lastVersion = version;
            return Optional.of(p);
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot keep patch segments in " + tmpDir + ": " + ex, ex);
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
