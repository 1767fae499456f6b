package org.fusekicdc.fuseki.stream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import org.eclipse.jetty.ee11.servlet.ServletContextRequest;
import org.eclipse.jetty.io.EndPoint;

/**
 * One streamed response, written without blocking: the request thread returns at once, and
 * bytes are taken from the {@link Source} only while the client takes them (servlet async IO),
 * so a client that does not read holds no thread and costs only the bytes of one write. Used for
 * Server-Sent Events and for finite bodies (change feed pages, snapshots: see {@link ResponseStreams}).
 * <p>
 * An idle Server-Sent Events stream sends a heartbeat comment; a client that has data waiting
 * and takes none of it for the slow-reader bound is disconnected. The owner is told once,
 * however the stream ends (end of the source, client gone, dropped, server stopping). A stream
 * that fails or is dropped is cut, so that the client never takes a cut body for a whole one.
 */
public final class EventStream implements WriteListener, AsyncListener {
    private static final byte[] HEARTBEAT = ": heartbeat\n\n".getBytes(StandardCharsets.UTF_8);
    private static final long TICK_MILLIS = 500;
    private static final int MAX_WRITE_BYTES = 64 * 1024;

    /** Where a stream's bytes come from; called by one thread at a time. */
    public interface Source {
        /** The next bytes to send, or null when nothing is waiting now (the owner calls {@link #wake} when there is). */
        byte[] next() throws IOException;

        /** Whether nothing will ever follow, asked when {@link #next} returned null: the stream then ends. */
        boolean ended();
    }

    /**
     * How a stream ended.
     *
     * @param reason     why, for the log
     * @param slowReader true when the client was disconnected for not reading
     */
    public record Ending(String reason, boolean slowReader) {}

    /** The source ended, and the client took all of it. */
    private static final Ending OVER = new Ending("the stream is over", false);

    private final AsyncContext async;
    private final ServletOutputStream out;
    private final EndPoint endPoint;
    private final Source source;
    private final Executor executor;
    private final Consumer<Ending> onEnd;
    private final StreamWatch watch;
    private final Duration slowReaderTimeout;
    private final ScheduledFuture<?> ticker;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final AtomicBoolean pumping = new AtomicBoolean();
    private volatile boolean pumpAgain;
    private boolean heartbeatDue;
    private byte[] unsent;
    private int unsentOffset;
    private boolean done;

    /**
     * Start streaming the response of {@code request}, whose status and headers are set. The
     * caller returns from the request right after.
     *
     * @param executor where bytes are taken from the source and written (a direct executor when that is cheap)
     * @param onEnd    told once when the stream ends, on whichever thread ends it
     */
    public static EventStream start(HttpServletRequest request, Source source, Duration heartbeat, Duration slowReaderTimeout,
                                    ScheduledExecutorService timer, Executor executor, Consumer<Ending> onEnd) throws IOException {
        AsyncContext async = request.startAsync();
        async.setTimeout(0);
        return start(async, source, heartbeat, slowReaderTimeout, timer, executor, onEnd);
    }

    /** A finite body (no heartbeat), ended when the source is. */
    public static EventStream startBody(HttpServletRequest request, Source source, Duration slowReaderTimeout, ScheduledExecutorService timer,
                                        Executor executor, Consumer<Ending> onEnd) throws IOException {
        return start(request, source, null, slowReaderTimeout, timer, executor, onEnd);
    }

    /** As {@link #start(HttpServletRequest, Source, Duration, Duration, ScheduledExecutorService, Executor, Consumer)}, on a request already in async mode. */
    public static EventStream start(AsyncContext async, Source source, Duration heartbeat, Duration slowReaderTimeout,
                                    ScheduledExecutorService timer, Executor executor, Consumer<Ending> onEnd) throws IOException {
        EventStream s = new EventStream(async, endPoint((HttpServletRequest)async.getRequest()), source, heartbeat, slowReaderTimeout,
                                        timer, executor, onEnd);
        async.addListener(s);
        s.out.setWriteListener(s);
        return s;
    }

    private static EndPoint endPoint(HttpServletRequest request) {
        ServletContextRequest jetty = ServletContextRequest.getServletContextRequest(request);
        return jetty == null ? null : jetty.getConnectionMetaData().getConnection().getEndPoint();
    }

    private EventStream(AsyncContext async, EndPoint endPoint, Source source, Duration heartbeat, Duration slowReaderTimeout,
                        ScheduledExecutorService timer, Executor executor, Consumer<Ending> onEnd) throws IOException {
        this.async = async;
        this.out = async.getResponse().getOutputStream();
        this.endPoint = endPoint;
        this.source = source;
        this.executor = executor;
        this.onEnd = onEnd;
        this.watch = new StreamWatch(heartbeat, slowReaderTimeout, System::nanoTime);
        this.slowReaderTimeout = slowReaderTimeout;
        this.ticker = timer.scheduleAtFixedRate(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        // An event stream opens with a comment, so that the client sees the response (status and
        // headers) at once, not at the first event or heartbeat, which may be many seconds away.
        this.heartbeatDue = heartbeat != null;
    }

    /** The source may have bytes: write them (on the executor). Cheap to call often. */
    public void wake() {
        if ( !wakeQueued.compareAndSet(false, true) )
            return;
        try {
            executor.execute(() -> {
                wakeQueued.set(false);
                pump();
            });
        } catch (RejectedExecutionException ex) {
            finish(new Ending("the server is stopping", false), isBody());
        }
    }

    /** End the stream now (the server is stopping, or the owner says so). */
    public void close(String reason) {
        finish(new Ending(reason, false), isBody());
    }

    /** A finite body ended early is cut; an event stream's end is an end like any other. */
    private boolean isBody() {
        return !watch.hasHeartbeat();
    }

    private void tick() {
        StreamWatch.Due due;
        synchronized (this) {
            if ( done )
                return;
            due = watch.due();
            if ( due == StreamWatch.Due.HEARTBEAT )
                heartbeatDue = true;
        }
        if ( due == StreamWatch.Due.SLOW_READER )
            finish(new Ending("took none of the waiting data for " + slowReaderTimeout.toSeconds() + " s", true), true);
        else if ( due == StreamWatch.Due.HEARTBEAT )
            wake();
    }

    /**
     * Write while the client takes it; the container calls {@link #onWritePossible} when it can
     * take more. One thread pumps at a time; a wake-up meanwhile makes it pump again. The source
     * is called without holding this stream's lock, so that an owner calling {@link #wake} or
     * {@link #close} under a lock of its own, which its source also takes, cannot deadlock.
     */
    private void pump() {
        pumpAgain = true;
        while ( pumpAgain && pumping.compareAndSet(false, true) ) {
            Ending end;
            try {
                pumpAgain = false;
                end = writeWhileReady();
            } finally {
                pumping.set(false);
            }
            if ( end != null ) {
                finish(end, end != OVER);
                return;
            }
        }
    }

    /** On the pumping thread: how the stream ended, or null when it waits for the client or the source. */
    private Ending writeWhileReady() {
        try {
            boolean flushed = true;
            while ( true ) {
                synchronized (this) {
                    if ( done )
                        return null;
                    if ( !out.isReady() ) {
                        watch.blocked();
                        return null;
                    }
                    watch.unblocked();
                    if ( unsent == null && heartbeatDue ) {
                        unsent = HEARTBEAT;
                        unsentOffset = 0;
                        heartbeatDue = false;
                    }
                }
                if ( unsent == null ) {
                    unsent = source.next();
                    unsentOffset = 0;
                }
                if ( unsent != null ) {
                    // Large events go out in slices, so that a client still reading is seen to progress.
                    int n = Math.min(unsent.length - unsentOffset, MAX_WRITE_BYTES);
                    out.write(unsent, unsentOffset, n);
                    unsentOffset += n;
                    if ( unsentOffset == unsent.length )
                        unsent = null;
                    synchronized (this) {
                        watch.wrote();
                    }
                    flushed = false;
                } else if ( !flushed ) {
                    // The container holds small writes back until flushed.
                    out.flush();
                    flushed = true;
                } else
                    return source.ended() ? OVER : null;
            }
        } catch (IOException | RuntimeException ex) {
            return new Ending("failed: " + ex, false);
        }
    }

    @Override
    public void onWritePossible() {
        synchronized (this) {
            watch.unblocked();
        }
        wake();
    }

    @Override public void onError(Throwable t)          { finish(new Ending("write failed: " + t, false), true); }
    @Override public void onComplete(AsyncEvent event)   { finish(new Ending("completed", false), false); }
    @Override public void onTimeout(AsyncEvent event)    { finish(new Ending("timed out", false), true); }
    @Override public void onError(AsyncEvent event)      { finish(new Ending("failed: " + event.getThrowable(), false), true); }
    @Override public void onStartAsync(AsyncEvent event) {}

    /** @param cut close the connection rather than end the body: the client must not take what it got for all there was */
    private void finish(Ending ending, boolean cut) {
        synchronized (this) {
            if ( done )
                return;
            done = true;
        }
        ticker.cancel(false);
        onEnd.accept(ending);
        // A dropped client would never take what is left: cut the connection instead of flushing to it.
        if ( cut && endPoint != null )
            endPoint.close();
        try {
            async.complete();
        } catch (IllegalStateException ex) {
            // Already completed by the container.
        }
    }
}
