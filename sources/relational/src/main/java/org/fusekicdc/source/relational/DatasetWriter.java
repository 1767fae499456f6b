package org.fusekicdc.source.relational;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import org.apache.jena.query.TxnType;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;

/**
 * Runs a source's dataset write transactions on a thread of its own, one at a time, so that
 * mapping the next rows can overlap the write under way.
 * <p>
 * The engine interrupts its threads when it stops; an interrupt inside the dataset's commit
 * (file channels close on interrupt) could leave the dataset's write lock held and every later
 * write waiting. On a thread of its own a write is not interrupted, and it is waited for to its end.
 */
final class DatasetWriter {
    private final CapturingDatasetGraph dsg;
    private final ExecutorService thread;
    /** The write under way, or null. */
    private volatile Future<Long> inFlight;
    /** The source position the write under way applies, or null. */
    private Position inFlightPosition;

    DatasetWriter(CapturingDatasetGraph dsg, String sourceName) {
        this.dsg = dsg;
        String name = "fuseki-cdc-source-" + dsg.datasetName() + "-" + sourceName + "-writer";
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Start one dataset write transaction, when none is under way ({@link #await()}).
     * {@code committed} runs on the writer thread right after the commit, with the log's head
     * version; {@code cleanup} runs after the write in any case.
     */
    void start(Runnable changes, Map<String, String> headers, Position position, LongConsumer committed, Runnable cleanup) {
        inFlight = thread.submit(() -> {
            try {
                long version = writeNow(changes, headers);
                committed.accept(version);
                return version;
            } finally {
                cleanup.run();
            }
        });
        inFlightPosition = position;
    }

    /** Whether a write is under way (started and not yet waited for). */
    boolean busy() {
        return inFlight != null;
    }

    /** The source position of the write under way, or null. */
    Position position() {
        return inFlightPosition;
    }

    /**
     * Wait for the write under way, if any, to its end, through interrupts (the interrupt is kept).
     *
     * @throws RuntimeException the write's failure ({@link UnmappableRowException} included)
     */
    void await() {
        Future<Long> done = inFlight;
        if ( done == null )
            return;
        inFlight = null;
        inFlightPosition = null;
        boolean interrupted = false;
        try {
            while ( true ) {
                try {
                    done.get();
                    break;
                } catch (InterruptedException ex) {
                    interrupted = true;
                } catch (ExecutionException ex) {
                    if ( ex.getCause() instanceof RuntimeException re )
                        throw re;
                    if ( ex.getCause() instanceof Error e )
                        throw e;
                    throw new IllegalStateException(ex.getCause());
                }
            }
        } finally {
            if ( interrupted )
                Thread.currentThread().interrupt();
        }
    }

    /**
     * Stop the writer thread once the write under way has ended.
     *
     * @return why that write failed, or null if it committed or there was none
     */
    Throwable shutdown() {
        thread.shutdown();
        boolean interrupted = false;
        while ( !thread.isTerminated() ) {
            try {
                thread.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                interrupted = true;
            }
        }
        if ( interrupted )
            Thread.currentThread().interrupt();
        Future<Long> last = inFlight;
        inFlight = null;
        if ( last == null )
            return null;
        try {
            last.get();
            return null;
        } catch (ExecutionException ex) {
            return ex.getCause();
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();   // the writer has ended: get() does not wait
            return null;
        }
    }

    private long writeNow(Runnable changes, Map<String, String> headers) {
        dsg.begin(TxnType.WRITE);
        boolean committed = false;
        try {
            changes.run();
            dsg.commit(headers);
            committed = true;
        } finally {
            try {
                if ( !committed )
                    dsg.abort();
            } finally {
                dsg.end();   // always: a transaction left open would hold the write lock
            }
        }
        return dsg.changeLog().headVersion();
    }
}
