package org.fusekicdc.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The benchmarks' work directories. */
final class BenchFiles {
    private BenchFiles() {}

    /** Delete a directory and all below it; a failure is reported, not thrown (the run's figures matter more). */
    static void deleteTree(Path dir) {
        if ( !Files.exists(dir) )
            return;
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ex) {
                    throw new UncheckedIOException(ex);
                }
            });
        } catch (IOException | UncheckedIOException ex) {
            System.err.println("could not delete " + dir + ": " + ex);
        }
    }
}
