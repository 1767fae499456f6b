package org.fusekicdc.fuseki.stream;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;
import org.fusekicdc.fuseki.config.FeedSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The finite streamed responses of one captured dataset (change feed pages, snapshots): each
 * written by an {@link EventStream} on this dataset's own threads, never a request thread, so a
 * client that does not read holds no thread; one that takes none of the waiting bytes for
 * {@code cdc:slowReaderSeconds} is disconnected with the reason logged. Counts are exact
 * however a response ends.
 */
public final class ResponseStreams {
    private static final Logger LOG = LoggerFactory.getLogger(ResponseStreams.class);
    private static final int WRITER_THREADS = 2;

    /** A response body: its bytes, and what to release once it has been sent or abandoned. */
    public interface Body extends EventStream.Source, AutoCloseable {
        /** How far the body got, for the log (e.g. "1,048,576 of 9,000,000 bytes"). */
        String progress();

        @Override
        void close();
    }

    private final String dataset;
    private final FeedSettings settings;
    private final Set<Sending> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong dropped = new AtomicLong();
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor writers;

    public ResponseStreams(String dataset, FeedSettings settings) {
        this.dataset = dataset;
        this.settings = settings;
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("cdc-response-timer-" + dataset).factory());
        this.timer.setRemoveOnCancelPolicy(true);
        this.writers = new ThreadPoolExecutor(WRITER_THREADS, WRITER_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                                              Thread.ofPlatform().daemon().name("cdc-response-writer-" + dataset + "-", 0).factory());
        this.writers.allowCoreThreadTimeOut(true);
    }

    /** Cut every response still being sent (the server is stopping) and release the threads. */
    public void close() {
        for ( Sending s : List.copyOf(open) ) {
            EventStream stream = s.stream;
            if ( stream != null )
                stream.close("the server is stopping");
        }
        timer.shutdownNow();
        writers.shutdownNow();
    }

    /** Responses being sent now. */
    public int openCount() {
        return open.size();
    }

    /** Responses cut since start-up because their client stopped reading. */
    public long droppedCount() {
        return dropped.get();
    }

    /**
     * Send {@code body} as the response to {@code request}, whose status and headers are set; the
     * caller returns right after. The body is closed once sent, abandoned or cut.
     *
     * @param client who asked, for the log
     * @param what   what is sent, for the log (e.g. "change feed page after version 5")
     */
    public void send(HttpServletRequest request, Body body, String client, String what) throws IOException {
        Sending sending = new Sending(body, client, what);
        open.add(sending);
        try {
            sending.stream = EventStream.startBody(request, body, settings.slowReaderTimeout(), timer, writers, e -> ended(sending, e));
        } catch (IOException | RuntimeException ex) {
            ended(sending, new EventStream.Ending("could not start: " + ex, false));
            throw ex;
        }
        sending.stream.wake();
    }

    /** One response being sent, counted until it ends. */
    private static final class Sending {
        final Body body;
        final String client;
        final String what;
        volatile EventStream stream;

        Sending(Body body, String client, String what) {
            this.body = body;
            this.client = client;
            this.what = what;
        }
    }

    /** Counted once per response, however it ended. */
    private void ended(Sending s, EventStream.Ending ending) {
        if ( !open.remove(s) )
            return;
        s.body.close();
        if ( ending.slowReader() ) {
            dropped.incrementAndGet();
            LOG.info("Dataset '{}': {} to {} disconnected after {}: the client {} (cdc:slowReaderSeconds)", dataset, s.what, s.client,
                     s.body.progress(), ending.reason());
        } else
            LOG.debug("Dataset '{}': {} to {} ended after {}: {}", dataset, s.what, s.client, s.body.progress(), ending.reason());
    }
}
