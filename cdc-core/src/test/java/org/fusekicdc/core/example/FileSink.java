package org.fusekicdc.core.example;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.wire.PatchRecord;

// snippet:sink
/**
 * Writes each patch to {@code <directory>/<version>.rdfp}. A file appears whole or not at all
 * (written aside, then renamed), so the directory can tell which versions it holds.
 */
public final class FileSink implements Sink {
    private final String name;
    private final Path directory;

    FileSink(String name, Path directory) {
        this.name = name;
        this.directory = directory;
    }

    @Override
    public String name() {
        return name;
    }

    /** The highest version in the directory (0 for none): delivery resumes right after it, so none is written twice. */
    @Override
    public long open() throws SinkException {
        try {
            Files.createDirectories(directory);
            try (Stream<Path> files = Files.list(directory)) {
                return files.map(f -> f.getFileName().toString())
                            .filter(f -> f.endsWith(".rdfp"))
                            .mapToLong(f -> Long.parseLong(f.substring(0, f.length() - ".rdfp".length())))
                            .max().orElse(0);
            }
        } catch (IOException ex) {
            throw SinkException.transientFailure("cannot read directory " + directory + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public void deliver(PatchRecord patch) throws SinkException {
        Path aside = directory.resolve(patch.version() + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(aside)) {
                patch.writeTo(PatchRecord.TEXT, out);
            }
            Files.move(aside, directory.resolve(patch.version() + ".rdfp"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException ex) {
            // Transient: the runner closes the sink, waits, opens it again and retries.
            throw SinkException.transientFailure("cannot write version " + patch.version() + " to " + directory + ": " + ex.getMessage(), ex);
        }
    }

    @Override
    public void close() {}
}
// end-snippet
