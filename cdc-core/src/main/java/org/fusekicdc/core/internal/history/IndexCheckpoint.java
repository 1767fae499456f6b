package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * What of the history index is durable: every version up to {@code version} (patch
 * {@code lastId}, null when unknown) is in the partitions starting at {@code firsts}, the newest
 * of them holding {@code lengths} bytes in each bucket. Kept in one small text file with a CRC,
 * replaced atomically.
 */
record IndexCheckpoint(long version, UUID lastId, long[] firsts, long[] lengths) {
    static final String FILE = "checkpoint";

    /** Why the index's files cannot be trusted, and it is rebuilt from the log instead. */
    static final class Problem extends Exception {
        /** No index at all: created, not repaired. */
        final boolean fresh;

        Problem(String message) {
            this(message, false);
        }

        Problem(String message, boolean fresh) {
            super(message, null, false, false);
            this.fresh = fresh;
        }
    }

    /** Write it to {@code dir}, forced to disk, replacing the one before. */
    void write(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("version=").append(version).append('\n');
        sb.append("lastId=").append(lastId == null ? "" : lastId.toString()).append('\n');
        sb.append("partitions=");
        for ( int i = 0 ; i < firsts.length ; i++ )
            sb.append(i == 0 ? "" : ",").append(firsts[i]);
        sb.append('\n');
        sb.append("lengths=");
        for ( int b = 0 ; b < lengths.length ; b++ )
            sb.append(b == 0 ? "" : ",").append(lengths[b]);
        sb.append('\n');
        byte[] body = sb.toString().getBytes(StandardCharsets.UTF_8);
        CRC32C crc = new CRC32C();
        crc.update(body);
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(body));
            ch.write(ByteBuffer.wrap(("crc=" + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The checkpoint in {@code dir}.
     *
     * @throws Problem when there is none, or it is damaged or unreadable
     */
    static IndexCheckpoint read(Path dir) throws IOException, Problem {
        Path cp = dir.resolve(FILE);
        if ( !Files.exists(cp) )
            throw new Problem("no checkpoint", !Files.isDirectory(dir));
        String text = Files.readString(cp, StandardCharsets.UTF_8);
        int crcAt = text.lastIndexOf("crc=");
        if ( crcAt < 0 )
            throw new Problem("checkpoint has no checksum");
        CRC32C crc = new CRC32C();
        crc.update(text.substring(0, crcAt).getBytes(StandardCharsets.UTF_8));
        if ( !Long.toHexString(crc.getValue()).equals(text.substring(crcAt + 4).trim()) )
            throw new Problem("checkpoint fails its checksum");
        Map<String, String> props = new HashMap<>();
        for ( String line : text.substring(0, crcAt).split("\n") ) {
            int eq = line.indexOf('=');
            if ( eq > 0 )
                props.put(line.substring(0, eq), line.substring(eq + 1));
        }
        IndexCheckpoint c;
        try {
            c = new IndexCheckpoint(Long.parseLong(props.get("version")),
                                    props.get("lastId").isEmpty() ? null : UUID.fromString(props.get("lastId")),
                                    Stream.of(props.get("partitions").split(",")).mapToLong(Long::parseLong).toArray(),
                                    Stream.of(props.get("lengths").split(",")).mapToLong(Long::parseLong).toArray());
        } catch (RuntimeException ex) {
            throw new Problem("checkpoint unreadable: " + ex);
        }
        if ( c.lengths.length != IndexEntry.BUCKETS || c.firsts.length == 0 )
            throw new Problem("checkpoint lists " + c.lengths.length + " buckets and " + c.firsts.length + " partitions");
        return c;
    }
}
