package org.fusekicdc.fuseki.stream;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.jena.web.HttpSC;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.fuseki.access.ReaderView;
import org.fusekicdc.fuseki.config.FeedSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live change feed streams of one captured dataset: admission against the limits (in
 * total and per client), the threads that read the log for them (never a request thread), the
 * wake-up when a version is published, and exact counts however a stream ends.
 */
public final class FeedStreams {
    private static final Logger LOG = LoggerFactory.getLogger(FeedStreams.class);
    private static final int READER_THREADS = 2;

    /** A request the limits turn away: the status, the message, and when to retry. */
    public static final class Refused extends RuntimeException {
        public final int status;
        public final int retryAfterSeconds;

        Refused(int status, String message, int retryAfterSeconds) {
            super(message, null, false, false);
            this.status = status;
            this.retryAfterSeconds = retryAfterSeconds;
        }
    }

    private final ChangeLog log;
    private final FeedSettings settings;
    private final Set<Admitted> open = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> perClient = new HashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final ScheduledThreadPoolExecutor timer;
    private final ThreadPoolExecutor readers;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();
    private final Runnable onPublish = this::published;

    /** One admitted stream, counted until it ends. */
    public static final class Admitted {
        final String client;
        final FeedTail tail;
        volatile EventStream stream;

        Admitted(String client, FeedTail tail) {
            this.client = client;
            this.tail = tail;
        }
    }

    public FeedStreams(ChangeLog log, FeedSettings settings) {
        this.log = log;
        this.settings = settings;
        String name = log.dataset();
        this.timer = new ScheduledThreadPoolExecutor(1, Thread.ofPlatform().daemon().name("cdc-feed-timer-" + name).factory());
        this.timer.setRemoveOnCancelPolicy(true);
        this.readers = new ThreadPoolExecutor(READER_THREADS, READER_THREADS, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                                              Thread.ofPlatform().daemon().name("cdc-feed-reader-" + name + "-", 0).factory());
        this.readers.allowCoreThreadTimeOut(true);
        log.addPublishListener(onPublish);
    }

    /** End every stream of the dataset (the server is stopping) and release the threads. */
    public void close() {
        log.removePublishListener(onPublish);
        for ( Admitted o : List.copyOf(open) ) {
            EventStream stream = o.stream;
            if ( stream != null )
                stream.close("the server is stopping");
        }
        timer.shutdownNow();
        readers.shutdownNow();
    }

    /** Streams open now. */
    public int openCount() {
        return open.size();
    }

    /** Streams disconnected since start-up because their client stopped reading. */
    public long droppedCount() {
        return dropped.get();
    }

    /**
     * Count a new stream of {@code client} from version {@code after}, or refuse it when a limit
     * is reached. An admitted stream is then {@linkplain #start started} or {@linkplain #cancel cancelled}.
     *
     * @throws Refused when a limit is reached
     */
    public synchronized Admitted admit(String client, long after, ReaderView view) {
        if ( open.size() >= settings.maxStreams() )
            throw new Refused(HttpSC.SERVICE_UNAVAILABLE_503, "Dataset '" + log.dataset() + "': " + settings.maxStreams()
                              + " live change feed streams are open already, the most allowed (cdc:feedMaxStreams). Retry later, read pages"
                              + " with ?after=N instead, or raise cdc:feedMaxStreams.", 10);
        int mine = perClient.getOrDefault(client, 0);
        if ( mine >= settings.maxStreamsPerClient() )
            throw new Refused(HttpSC.TOO_MANY_REQUESTS_429, "Dataset '" + log.dataset() + "': " + client + " has " + mine
                              + " live change feed streams open already, the most one client may have (cdc:feedMaxStreamsPerClient)."
                              + " Close one, read pages with ?after=N instead, or raise cdc:feedMaxStreamsPerClient.", 30);
        perClient.put(client, mine + 1);
        Admitted a = new Admitted(client, new FeedTail(log, after, view));
        open.add(a);
        return a;
    }

    /** Stream an admitted client's feed as the response to {@code request}, whose status and headers are set. */
    public void start(Admitted a, HttpServletRequest request) throws IOException {
        try {
            a.stream = EventStream.start(request, a.tail, settings.heartbeat(), settings.slowReaderTimeout(), timer, readers, e -> ended(a, e));
        } catch (IOException | RuntimeException ex) {
            cancel(a, "could not start: " + ex);
            throw ex;
        }
        a.stream.wake();
    }

    /** Release an admitted stream that will not start. */
    public void cancel(Admitted a, String reason) {
        ended(a, new EventStream.Ending(reason, false));
    }

    /** Counted once per stream, however it ended. */
    private void ended(Admitted o, EventStream.Ending ending) {
        synchronized (this) {
            if ( !open.remove(o) )
                return;
            perClient.computeIfPresent(o.client, (c, n) -> n == 1 ? null : n - 1);
        }
        if ( ending.slowReader() ) {
            dropped.incrementAndGet();
            LOG.info("Dataset '{}': change feed stream of {} disconnected, sent up to version {}: the client {} (cdc:slowReaderSeconds)",
                     log.dataset(), o.client, o.tail.sentVersion(), ending.reason());
        } else
            LOG.debug("Dataset '{}': change feed stream of {} ended at version {}: {}", log.dataset(), o.client, o.tail.sentVersion(),
                      ending.reason());
    }

    /** On the committing thread: only hand the wake-up to a reader thread. */
    private void published() {
        if ( !wakeQueued.compareAndSet(false, true) )
            return;
        try {
            readers.execute(() -> {
                wakeQueued.set(false);
                for ( Admitted o : open ) {
                    EventStream s = o.stream;
                    if ( s != null )
                        s.wake();
                }
            });
        } catch (RejectedExecutionException ex) {
            // Stopping: the streams are being closed.
        }
    }
}
