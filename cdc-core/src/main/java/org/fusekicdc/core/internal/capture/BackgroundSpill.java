package org.fusekicdc.core.internal.capture;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

import org.apache.jena.sparql.core.Quad;

/**
 * A {@link QuadSpill} fed by a thread of its own: the writing thread only hands over batches of
 * changes, and formatting and writing them happen beside it, on another core. Few batches are
 * in flight at a time, so a writer faster than the disk waits instead of filling the heap.
 * A failure of the spill thread (disk full) fails the writer's next change, or the commit.
 */
final class BackgroundSpill implements AutoCloseable {
    private static final int BATCH = 4096;
    private static final int IN_FLIGHT = 4;

    private record Batch(Quad[] quads, boolean[] adds, int size) {}

    private static final Batch END = new Batch(new Quad[0], new boolean[0], 0);

    private final QuadSpill spill;
    private final BlockingQueue<Batch> queue = new ArrayBlockingQueue<>(IN_FLIGHT);
    private final BlockingQueue<Batch> free = new ArrayBlockingQueue<>(IN_FLIGHT + 2);
    private final Thread thread;
    private volatile RuntimeException failure;
    private Quad[] quads = new Quad[BATCH];
    private boolean[] adds = new boolean[BATCH];
    private int size;
    private boolean ended;

    BackgroundSpill(Path dir, int runSize) {
        this.spill = new QuadSpill(dir, runSize);
        this.thread = Thread.ofPlatform().daemon().name("fuseki-cdc-spill").start(this::drain);
    }

    void append(boolean add, Quad q) {
        quads[size] = q;
        adds[size] = add;
        if ( ++size == BATCH )
            send();
    }

    private void send() {
        RuntimeException failed = failure;
        if ( failed != null ) {
            size = 0;
            throw failed;
        }
        put(new Batch(quads, adds, size));
        Batch reuse = free.poll();
        quads = reuse != null ? reuse.quads() : new Quad[BATCH];
        adds = reuse != null ? reuse.adds() : new boolean[BATCH];
        size = 0;
    }

    private void put(Batch batch) {
        try {
            queue.put(batch);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while writing a large transaction's changes to disk", ex);
        }
    }

    private void drain() {
        try {
            while ( true ) {
                Batch batch = queue.take();
                if ( batch == END )
                    return;
                if ( failure == null ) {
                    try {
                        for ( int i = 0 ; i < batch.size() ; i++ )
                            spill.append(batch.adds()[i], batch.quads()[i]);
                    } catch (RuntimeException ex) {
                        failure = ex;   // keep taking batches so the writer never blocks on a dead queue
                    }
                }
                Arrays.fill(batch.quads(), 0, batch.size(), null);
                free.offer(batch);
            }
        } catch (InterruptedException ex) {
            // close(): the transaction is over.
        }
    }

    /** Wait for every change to be on disk, then merge (see {@link QuadSpill#merge}). */
    long merge() {
        if ( !ended ) {
            ended = true;
            if ( size > 0 )
                send();
            put(END);
            try {
                thread.join();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while writing a large transaction's changes to disk", ex);
            }
        }
        if ( failure != null )
            throw failure;
        return spill.merge();
    }

    void copyTo(OutputStream out) throws IOException {
        spill.copyTo(out);
    }

    @Override
    public void close() {
        if ( thread.isAlive() ) {
            thread.interrupt();
            try {
                thread.join();
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        spill.close();
    }
}
