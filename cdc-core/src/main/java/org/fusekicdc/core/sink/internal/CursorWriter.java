package org.fusekicdc.core.sink.internal;

import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.ReaderCursor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a sink runner's durable cursor, now or on a thread of its own. Each write forces a file
 * to disk, which on a busy disk takes as long as a store commit; done on the runner's thread it
 * would hold up the next patch's delivery. When the destination says at every open which version
 * it holds, the cursor is only a hint (and the bound of log retention, which a cursor that lags
 * only makes keep more), so the runner hands its periodic writes to this thread.
 * <p>
 * A write handed over is skipped if a rewind or a write made now comes in between: the cursor
 * never moves past a rewind because of a write asked for before it.
 */
final class CursorWriter implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CursorWriter.class);

    private final ReaderCursor cursor;
    private final String what;
    // Held while the cursor's file is written.
    private final Object writing = new Object();
    // Guarded by this: the version to write later (0: none), and a count of rewinds and writes made
    // now, so that a write asked for before one of them is dropped.
    private long pending;
    private long generation;
    // Guarded by this: the version last asked for (later, now, or by a rewind); the cursor's file holds it once written.
    private long requested;
    private boolean closed;
    private Thread thread;

    CursorWriter(ReaderCursor cursor, String what) {
        this.cursor = cursor;
        this.what = what;
    }

    /** The version the cursor is at, or will be once the write handed over is done. */
    synchronized long requested() {
        return Math.max(requested, cursor.acknowledged());
    }

    /** Write {@code version} on the writer's thread; returns at once. */
    synchronized void writeLater(long version) {
        if ( closed || version <= pending )
            return;
        pending = version;
        requested = Math.max(requested, version);
        if ( thread == null )
            thread = Thread.ofPlatform().daemon().name("cdc-cursor-" + what).start(this::run);
        notifyAll();
    }

    /** Write {@code version} now, on this thread, if it is past the cursor. */
    void writeNow(long version) {
        synchronized (this) {
            generation++;
            pending = 0;
            requested = Math.max(requested, version);
        }
        synchronized (writing) {
            if ( version > cursor.acknowledged() )
                cursor.acknowledge(version);
        }
    }

    /** Move the cursor to {@code version}, back or forth, now; a write handed over before is dropped. */
    void rewind(long version) {
        synchronized (this) {
            generation++;
            pending = 0;
            requested = version;
        }
        synchronized (writing) {
            cursor.rewind(version);
        }
    }

    private void run() {
        while ( true ) {
            long version;
            long asked;
            synchronized (this) {
                while ( pending == 0 && !closed ) {
                    try {
                        wait();
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
                if ( pending == 0 )
                    return;
                version = pending;
                asked = generation;
                pending = 0;
            }
            synchronized (writing) {
                try {
                    if ( generationIs(asked) && version > cursor.acknowledged() )
                        cursor.acknowledge(version);
                } catch (ChangeLogException ex) {
                    // The runner writes it again at its next acknowledgement, or at its stop.
                    LOG.warn("{}: {}", what, ex.getMessage());
                }
            }
        }
    }

    private synchronized boolean generationIs(long g) {
        return generation == g;
    }

    /** Finish the write handed over, if any, and stop the thread. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            t = thread;
            notifyAll();
        }
        if ( t == null )
            return;
        try {
            t.join(30_000);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
