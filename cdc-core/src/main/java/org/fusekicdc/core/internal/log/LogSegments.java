package org.fusekicdc.core.internal.log;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segment files of one change log, by first version: finding the segment of a version,
 * rolling to a new one when the last is full, cutting the last record, and dropping whole
 * segments for retention and rebase. Mutations run under the log's write lock; lookups do not
 * lock (the map is concurrent).
 */
final class LogSegments {
    private static final Logger LOG = LoggerFactory.getLogger(LogSegments.class);

    private final String dataset;
    private final Path dir;
    private final ConcurrentSkipListMap<Long, Segment> byFirst = new ConcurrentSkipListMap<>();

    LogSegments(String dataset, Path dir) {
        this.dataset = dataset;
        this.dir = dir;
    }

    /**
     * Open every segment file in the directory, the last one cut after its last intact record.
     *
     * @throws DamagedRecordException if a segment is missing between two others
     */
    void load() throws IOException {
        List<Long> firsts = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.log")) {
            for ( Path p : ds ) {
                String n = p.getFileName().toString();
                try {
                    firsts.add(Long.parseLong(n.substring(0, n.length() - 4)));
                } catch (NumberFormatException ex) {
                    throw new ChangeLogException("Dataset '" + dataset + "': unexpected file " + p + " in the change log directory; remove it.");
                }
            }
        }
        firsts.sort(null);
        for ( int i = 0 ; i < firsts.size() ; i++ ) {
            long first = firsts.get(i);
            Segment seg = Segment.open(dataset, dir, first, i == firsts.size() - 1);
            Map.Entry<Long, Segment> prev = byFirst.lastEntry();
            if ( prev != null && prev.getValue().lastVersion() + 1 != first ) {
                seg.close();
                long missing = prev.getValue().lastVersion() + 1;
                throw new DamagedRecordException(dataset, new LogDamage(dir.resolve(Segment.fileName(missing)), missing, 0,
                                                                        "the change log has a gap: versions " + missing + ".." + (first - 1) + " are missing"),
                                                 "Segment " + prev.getValue().file().getFileName() + " ends at version " + (missing - 1) + " and the next, "
                                                 + seg.file().getFileName() + ", starts at " + first + ": a segment file was lost.");
            }
            byFirst.put(first, seg);
        }
    }

    /** Start an empty segment at {@code firstVersion} if there is none yet. */
    void createIfEmpty(long firstVersion) throws IOException {
        if ( byFirst.isEmpty() )
            byFirst.put(firstVersion, Segment.create(dataset, dir, firstVersion));
    }

    boolean isEmpty() {
        return byFirst.isEmpty();
    }

    int count() {
        return byFirst.size();
    }

    /** The oldest version still held (the next version when the log holds no record). */
    long firstVersion() {
        return byFirst.firstKey();
    }

    Segment oldest() {
        return byFirst.firstEntry().getValue();
    }

    Segment newest() {
        return byFirst.lastEntry().getValue();
    }

    /** Oldest first. */
    List<Segment> all() {
        return List.copyOf(byFirst.values());
    }

    /** The segment that would hold {@code version}, or null if it is before the first. */
    Segment holding(long version) {
        Map.Entry<Long, Segment> e = byFirst.floorEntry(version);
        return e == null ? null : e.getValue();
    }

    /** The metadata of the newest record, or null when no segment holds one. */
    RecordMeta lastMeta() {
        for ( Segment s : byFirst.descendingMap().values() ) {
            if ( s.count() > 0 )
                return s.read(s.lastVersion()).meta();
        }
        return null;
    }

    long sizeBytes() {
        long total = 0;
        for ( Segment s : byFirst.values() )
            total += s.sizeBytes();
        return total;
    }

    /**
     * The segment the record of {@code version} goes into: the last one, or a new one from
     * {@code version} when the last is full.
     *
     * @return the new segment, or null when the last one takes the record
     */
    Segment rollIfFull(long version, long segmentBytes, boolean fsync) throws IOException {
        Segment last = newest();
        if ( last.count() == 0 || last.sizeBytes() < segmentBytes )
            return null;
        Segment seg = Segment.create(dataset, dir, version);
        byFirst.put(version, seg);
        if ( fsync )
            LogProperties.forceDirectory(dir);
        LOG.debug("Dataset '{}': new change log segment from version {}", dataset, version);
        return seg;
    }

    /** Cut the newest record, dropping an empty trailing segment first (the record is in the one before). */
    void truncateLast(boolean fsync) throws IOException {
        Segment seg = newest();
        if ( seg.count() == 0 ) {
            byFirst.remove(seg.firstVersion());
            seg.delete();
            seg = newest();
        }
        seg.truncateLast(fsync);
    }

    /** Remove the oldest segment and its files. */
    void deleteOldest() throws IOException {
        Segment oldest = oldest();
        byFirst.remove(oldest.firstVersion());
        oldest.delete();
    }

    /** Delete every segment and start an empty one at {@code firstVersion}. */
    void restartAt(long firstVersion) throws IOException {
        for ( Segment seg : byFirst.values() )
            seg.delete();
        byFirst.clear();
        byFirst.put(firstVersion, Segment.create(dataset, dir, firstVersion));
    }

    void close() {
        byFirst.values().forEach(Segment::close);
    }
}
