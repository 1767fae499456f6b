package org.fusekicdc.core.capture;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import org.apache.jena.sparql.core.Quad;

/**
 * The changes of a transaction too large to keep in memory: every real change, in order, as
 * patch lines written to sorted run files of bounded size.
 * <p>
 * At commit the runs are merged by quad. The changes of one quad alternate (add, delete, add,
 * ...) because each was real when made, so an even number cancels out and an odd number leaves
 * the last one: that is the transaction's net effect, computed with memory bounded by one run.
 */
final class QuadSpill implements AutoCloseable {
    private static final Comparator<String> BY_KEY = Comparator.comparing(QuadLines::key);

    private final Path dir;
    private final int runSize;
    private final QuadLines lines = new QuadLines();
    private final List<Path> runs = new ArrayList<>();
    private List<String> current;
    private Path merged;
    private long mergedCount = -1;

    QuadSpill(Path dir, int runSize) {
        this.dir = dir;
        this.runSize = runSize;
        this.current = new ArrayList<>(runSize);
    }

    void append(boolean add, Quad q) {
        current.add(lines.line(add, q));
        if ( current.size() >= runSize )
            writeRun();
    }

    private void writeRun() {
        current.sort(BY_KEY);   // stable: changes of one quad keep their order
        try {
            Files.createDirectories(dir);
            Path run = Files.createTempFile(dir, "run-", ".rdfp");
            runs.add(run);
            try (BufferedWriter w = Files.newBufferedWriter(run, StandardCharsets.UTF_8)) {
                for ( String s : current ) {
                    w.write(s);
                    w.write('\n');
                }
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot write transaction spill file in " + dir + ": " + ex
                                           + ". Free disk space there or set cdc:spillDirectory elsewhere.", ex);
        }
        current = new ArrayList<>(runSize);
    }

    /** Merge the runs into the net effect, kept in one more file. Returns the number of net changes. */
    long merge() {
        if ( mergedCount >= 0 )
            return mergedCount;
        if ( !current.isEmpty() )
            writeRun();
        List<BufferedReader> readers = new ArrayList<>();
        try {
            merged = Files.createTempFile(dir, "net-", ".rdfp");
            PriorityQueue<Head> queue = new PriorityQueue<>();
            for ( int i = 0 ; i < runs.size() ; i++ ) {
                BufferedReader r = Files.newBufferedReader(runs.get(i), StandardCharsets.UTF_8);
                readers.add(r);
                Head.next(r, i).ifPresent(queue::add);
            }
            long count = 0;
            try (BufferedWriter out = Files.newBufferedWriter(merged, StandardCharsets.UTF_8)) {
                String key = null;
                String last = null;
                long n = 0;
                while ( !queue.isEmpty() ) {
                    Head h = queue.poll();
                    if ( key != null && !key.equals(h.key) ) {
                        if ( n % 2 == 1 ) {
                            out.write(last);
                            out.write('\n');
                            count++;
                        }
                        n = 0;
                    }
                    key = h.key;
                    last = h.line;
                    n++;
                    Head.next(readers.get(h.run), h.run).ifPresent(queue::add);
                }
                if ( key != null && n % 2 == 1 ) {
                    out.write(last);
                    out.write('\n');
                    count++;
                }
            }
            mergedCount = count;
            return count;
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot merge transaction spill files in " + dir + ": " + ex, ex);
        } finally {
            for ( BufferedReader r : readers ) {
                try {
                    r.close();
                } catch (IOException ex) {
                    // Reading is done; the files are deleted on close().
                }
            }
        }
    }

    /** Copy the merged net effect (after {@link #merge}) as patch text. */
    void copyTo(OutputStream out) throws IOException {
        Files.copy(merged, out);
    }

    @Override
    public void close() {
        for ( Path p : runs )
            deleteQuietly(p);
        runs.clear();
        if ( merged != null )
            deleteQuietly(merged);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ex) {
            // A leftover temp file is removed when the spill directory is cleaned at start-up.
        }
    }

    private record Head(String key, String line, int run) implements Comparable<Head> {
        static java.util.Optional<Head> next(BufferedReader r, int run) throws IOException {
            String line = r.readLine();
            return line == null ? java.util.Optional.empty() : java.util.Optional.of(new Head(QuadLines.key(line), line, run));
        }

        @Override
        public int compareTo(Head o) {
            int c = key.compareTo(o.key);
            return c != 0 ? c : Integer.compare(run, o.run);
        }
    }
}
