package org.fusekicdc.core.snapshot;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.riot.RDFFormat;
import org.apache.jena.riot.system.StreamRDF;
import org.apache.jena.riot.system.StreamRDFWriter;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A consistent dump of a captured dataset at one known version, as N-Quads: the state after
 * exactly that version's commit, never a mix. A replica starting from a snapshot applies the
 * patches after {@link #version()}.
 * <p>
 * {@link #begin} opens a read transaction on the calling thread (writers are not blocked); the
 * snapshot is written from that thread and {@link #close} ends the transaction. The N-Quads
 * start with one comment line naming the dataset and version ({@link #HEADER_PREFIX}); files
 * are named {@code <dataset>-<version>.nq}.
 * {@snippet :
 * try (Snapshot s = Snapshot.begin(dsg)) {
 *     long version = s.version();
 *     s.writeNQuads(out);
 * }
 * }
 */
public final class Snapshot implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Snapshot.class);
    /** The first line of a snapshot starts with this, then {@code dataset="..." version=N time=...}. */
    public static final String HEADER_PREFIX = "# fuseki-cdc snapshot ";
    private static final Pattern HEADER = Pattern.compile("^" + Pattern.quote(HEADER_PREFIX) + "dataset=\"([^\"]*)\" version=(\\d+)");

    private final CapturingDatasetGraph dsg;
    private final long version;
    private boolean closed;

    private Snapshot(CapturingDatasetGraph dsg, long version) {
        this.dsg = dsg;
        this.version = version;
    }

    /** Begin a read transaction on this thread at a known version. */
    public static Snapshot begin(CapturingDatasetGraph dsg) {
        return new Snapshot(dsg, dsg.beginReadAtKnownVersion());
    }

    public long version() {
        return version;
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /** The file name of this snapshot: {@code <dataset>-<version>.nq}. */
    public String fileName() {
        return dataset().replaceAll("[^A-Za-z0-9._-]", "_") + "-" + version + ".nq";
    }

    /** Write the header line and every quad; returns the number of quads. */
    public long writeNQuads(OutputStream out) throws IOException {
        if ( closed )
            throw new IllegalStateException("Dataset '" + dataset() + "': snapshot at version " + version + " is closed");
        out.write((HEADER_PREFIX + "dataset=\"" + dataset().replace("\"", "") + "\" version=" + version + " time=" + Instant.now() + "\n")
                      .getBytes(StandardCharsets.UTF_8));
        StreamRDF w = StreamRDFWriter.getWriterStream(out, RDFFormat.NQUADS);
        long n = 0;
        w.start();
        Iterator<Quad> it = dsg.find();
        try {
            while ( it.hasNext() ) {
                w.quad(it.next());
                n++;
            }
        } finally {
            Iter.close(it);
        }
        w.finish();
        out.flush();
        return n;
    }

    /** A snapshot written to a file: where, at which version, how many quads. */
    public record Written(Path file, long version, long quads) {}

    /**
     * Write the dataset at its current version to {@code <dir>/<dataset>-<version>.nq}, atomically
     * (a partial file is never left under the final name).
     */
    public static Written writeFile(CapturingDatasetGraph dsg, Path dir) {
        try (Snapshot s = begin(dsg)) {
            Files.createDirectories(dir);
            Path target = dir.resolve(s.fileName());
            Path tmp = Files.createTempFile(dir, s.fileName(), ".tmp");
            long quads;
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    quads = s.writeNQuads(out);
                }
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
            LOG.info("Dataset '{}': snapshot at version {} written to {} ({} quads)", s.dataset(), s.version(), target, quads);
            return new Written(target, s.version(), quads);
        } catch (IOException ex) {
            throw new UncheckedIOException("Dataset '" + dsg.datasetName() + "': cannot write a snapshot in " + dir + ": " + ex
                                           + ". Check the directory's free space and permissions.", ex);
        }
    }

    /** The version named in a snapshot's first line, or -1 when the line is not a snapshot header. */
    public static long versionOf(String firstLine) {
        Matcher m = HEADER.matcher(firstLine);
        return m.find() ? Long.parseLong(m.group(2)) : -1;
    }

    /** End the read transaction. */
    @Override
    public void close() {
        if ( closed )
            return;
        closed = true;
        dsg.end();
    }
}
