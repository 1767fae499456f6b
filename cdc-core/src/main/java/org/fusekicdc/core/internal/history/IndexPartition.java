package org.fusekicdc.core.internal.history;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One directory of the history index's bucket files ({@code p<first>/b00..b63}), holding the
 * entries of versions from {@code first} on, each bucket in version order. {@code lengths} covers
 * complete versions only: what a lookup may read.
 */
final class IndexPartition {
    private static final Logger LOG = LoggerFactory.getLogger(IndexPartition.class);

    final long first;
    final Path dir;
    final long[] lengths = new long[IndexEntry.BUCKETS];
    long entries;
    private final FileChannel[] channels = new FileChannel[IndexEntry.BUCKETS];

    IndexPartition(Path indexDir, long first) {
        this.first = first;
        this.dir = indexDir.resolve("p" + first);
    }

    /** The partition directory's first version, or -1 when {@code name} is not a partition's. */
    static long firstOf(String name) {
        if ( !name.startsWith("p") )
            return -1;
        try {
            return Long.parseLong(name.substring(1));
        } catch (NumberFormatException ex) {
            return -1;
        }
    }

    Path bucket(int b) {
        return dir.resolve(IndexEntry.bucketName(b));
    }

    /** The bucket's file, opened (and created) for appending on first use. */
    FileChannel channel(int b) throws IOException {
        if ( channels[b] == null ) {
            Files.createDirectories(dir);
            channels[b] = FileChannel.open(bucket(b), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return channels[b];
    }

    void force() throws IOException {
        for ( FileChannel ch : channels )
            if ( ch != null )
                ch.force(false);
    }

    void closeFiles() {
        for ( int b = 0 ; b < IndexEntry.BUCKETS ; b++ ) {
            if ( channels[b] != null ) {
                try {
                    channels[b].close();
                } catch (IOException ex) {
                    LOG.debug("Closing {}: {}", bucket(b), ex.toString());
                }
                channels[b] = null;
            }
        }
    }
}
