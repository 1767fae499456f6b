package org.fusekicdc.core.internal.capture;

import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

import org.apache.jena.atlas.RuntimeIOException;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.TokenWriterText;
import org.apache.jena.sparql.core.Quad;
import org.slf4j.LoggerFactory;

/**
 * The changes of a transaction too large to keep in memory, on disk, in bounded memory.
 * <p>
 * Every change was real when made (an add of an absent quad, a delete of a present one), so
 * the changes of one quad alternate: add, delete, add, ... While a transaction only adds, or
 * only deletes, no quad occurs twice and the changes as they come are already the net effect:
 * they go straight to one file as patch lines, nothing to sort or merge. That is the bulk load.
 * <p>
 * From the first change in the other direction, changes go to sorted run files of bounded size
 * (the lines written so far are cut into such runs first). At commit the runs are merged by
 * quad: an even number of changes cancels out and an odd number leaves the last one.
 */
final class QuadSpill implements AutoCloseable {
    private static final Comparator<String> BY_KEY = QuadSpill::compareKeys;
    private static final int FILE_BUFFER = 1 << 16;

    /** Remove the spill files a process that stopped mid-transaction left in {@code dir}. */
    static void removeLeftovers(Path dir, String dataset) {
        if ( !Files.isDirectory(dir) )
            return;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "{run,net}-*.rdfp")) {
            for ( Path p : ds )
                Files.deleteIfExists(p);
        } catch (IOException ex) {
            LoggerFactory.getLogger(QuadSpill.class).warn("Dataset '{}': could not clean spill directory {}: {}", dataset, dir, ex.toString());
        }
    }

    private final Path dir;
    private final int runSize;

    // One direction so far: the lines as they come, in one file.
    private Boolean direction;          // true: adds only, false: deletes only, null: nothing yet
    private Path unsorted;
    private OutputStream unsortedOut;
    private RDFChangesWriterText unsortedWriter;
    private long unsortedCount;

    // Both directions: sorted runs.
    private boolean mixed;
    private QuadLines lines;
    private final List<Path> runs = new ArrayList<>();
    private List<String> current;

    private Path merged;
    private long mergedCount = -1;

    QuadSpill(Path dir, int runSize) {
        this.dir = dir;
        this.runSize = runSize;
    }

    void append(boolean add, Quad q) {
        if ( !mixed ) {
            if ( direction == null )
                startUnsorted(add);
            if ( direction == add ) {
                try {
                    if ( add )
                        unsortedWriter.add(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
                    else
                        unsortedWriter.delete(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
                } catch (RuntimeIOException ex) {
                    throw writeFailed(ex);
                }
                unsortedCount++;
                return;
            }
            cutIntoSortedRuns();
        }
        current.add(lines.line(add, q));
        if ( current.size() >= runSize )
            writeRun();
    }

    private void startUnsorted(boolean add) {
        direction = add;
        try {
            Files.createDirectories(dir);
            unsorted = Files.createTempFile(dir, "changes-", ".rdfp");
            unsortedOut = new BufferedOutputStream(Files.newOutputStream(unsorted), FILE_BUFFER);
        } catch (IOException ex) {
            throw writeFailed(ex);
        }
        unsortedWriter = new RDFChangesWriterText(TokenWriterText.create(unsortedOut));
    }

    /** Finish the one-direction file; every line in it is a net change. */
    private void closeUnsorted() {
        try {
            unsortedWriter.finish();
            unsortedOut.close();
        } catch (IOException | RuntimeIOException ex) {
            throw writeFailed(ex);
        }
    }

    /** The transaction changes in both directions from now on: turn the lines so far into sorted runs. */
    private void cutIntoSortedRuns() {
        mixed = true;
        lines = new QuadLines();
        current = new ArrayList<>(runSize);
        closeUnsorted();
        try (BufferedReader r = Files.newBufferedReader(unsorted, StandardCharsets.UTF_8)) {
            for ( String line = r.readLine() ; line != null ; line = r.readLine() ) {
                current.add(line);
                if ( current.size() >= runSize )
                    writeRun();
            }
        } catch (IOException ex) {
            throw new UncheckedIOException("Cannot read transaction spill file " + unsorted + ": " + ex, ex);
        }
        deleteQuietly(unsorted);
        unsorted = null;
    }

    private void writeRun() {
        current.sort(BY_KEY);   // stable: changes of one quad keep their order
        try {
            Path run = Files.createTempFile(dir, "run-", ".rdfp");
            runs.add(run);
            try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(run), StandardCharsets.UTF_8), FILE_BUFFER)) {
                for ( String s : current ) {
                    w.write(s);
                    w.write('\n');
                }
            }
        } catch (IOException ex) {
            throw writeFailed(ex);
        }
        current.clear();
    }

    private UncheckedIOException writeFailed(Exception ex) {
        IOException io = ex instanceof IOException e ? e : new IOException(ex.getMessage(), ex);
        return new UncheckedIOException("Cannot write transaction spill file in " + dir + ": " + ex
                                        + ". Free disk space there or set cdc:spillDirectory elsewhere.", io);
    }

    /** Merge the runs into the net effect, kept in one more file. Returns the number of net changes. */
    long merge() {
        if ( mergedCount >= 0 )
            return mergedCount;
        if ( direction == null ) {
            mergedCount = 0;
            return 0;
        }
        if ( !mixed ) {
            closeUnsorted();
            merged = unsorted;
            unsorted = null;
            mergedCount = unsortedCount;
            return mergedCount;
        }
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
        if ( merged != null )
            Files.copy(merged, out);
    }

    @Override
    public void close() {
        if ( unsorted != null ) {
            try {
                unsortedOut.close();
            } catch (IOException ex) {
                // Only the file's content is lost, and it is deleted next.
            }
            deleteQuietly(unsorted);
        }
        for ( Path p : runs )
            deleteQuietly(p);
        runs.clear();
        if ( merged != null )
            deleteQuietly(merged);
    }

    /** Orders lines by their quad, as {@link QuadLines#key} does, without a substring per comparison. */
    private static int compareKeys(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for ( int i = 2 ; i < n ; i++ ) {
            char ca = a.charAt(i);
            char cb = b.charAt(i);
            if ( ca != cb )
                return ca - cb;
        }
        return a.length() - b.length();
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
