package org.fusekicdc.core.sink.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.PatchRecord;

/**
 * A sink's dead-letter directory: {@code <deadLetterDir>/<sink>/}, holding for each patch that can
 * never be delivered {@code <version>.rdfp} (the patch as RDF Patch text) and
 * {@code <version>.reason.txt} (which patch, and why).
 */
final class DeadLetters {
    private final Path dir;
    private final String dataset;
    private final String sink;

    DeadLetters(Path deadLetterDir, String dataset, String sink) {
        this.dir = deadLetterDir.resolve(sink);
        this.dataset = dataset;
        this.sink = sink;
    }

    Path dir() {
        return dir;
    }

    /** Write the patch and why it failed; an error naming the directory when that is impossible. */
    void write(LogRecord r, SinkException ex) {
        try {
            Files.createDirectories(dir);
            try (OutputStream out = Files.newOutputStream(dir.resolve(r.version() + ".rdfp"))) {
                new PatchRecord(dataset, r).writeTo(PatchRecord.TEXT, out);
            }
            Files.writeString(dir.resolve(r.version() + ".reason.txt"), "dataset " + dataset + ", sink " + sink + ", version "
                              + r.version() + ", patch " + r.meta().id() + "\n" + ex.getMessage() + "\n", StandardCharsets.UTF_8);
        } catch (IOException io) {
            throw new IllegalStateException("Dataset '" + dataset + "': sink '" + sink + "' cannot write version " + r.version()
                                            + " to the dead-letter directory " + dir + ": " + io, io);
        }
    }
}
