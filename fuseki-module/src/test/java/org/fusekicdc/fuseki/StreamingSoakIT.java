package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.fusekicdc.fuseki.stream.ResponseStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Clients that never read, on every streaming endpoint (change feed SSE, change feed pages, live
 * query SSE, live query WebSocket, snapshots for followers and admins), opened beyond the limits and re-opened every few seconds, while writes go
 * on. The bound: writes keep at least a third of the rate measured unloaded in the same run, and
 * every write, query and status request completes within 5 s (before the fix, 25 such feed
 * readers held writes, queries and status for about 28 s each). The non-readers are dropped
 * with the reason logged, and every gauge is back to zero once they are gone.
 * <p>
 * About 30 s here: the loaded phase (10 s by default) opens two waves of non-readers, the second
 * after the server dropped the first, so re-opening after drops is covered; {@code -Dsoak.seconds=600}
 * runs it for ten minutes:
 * {@code ./mvnw -B -pl fuseki-module -am verify -Dtest=none -Dit.test=StreamingSoakIT -Dsoak.seconds=600 -Dtest.timeout="30 m" -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class StreamingSoakIT {
    private static final long LOADED_SECONDS = Long.getLong("soak.seconds", 10);
    private static final long WARM_UP_SECONDS = 3;
    private static final long UNLOADED_SECONDS = 5;
    private static final long REOPEN_SECONDS = 5;
    private static final long MAX_LATENCY_MILLIS = 5_000;
    /**
     * The non-readers' answers are still formatted (ten megabytes each, a few dozen a wave), which
     * costs CPU on a small machine: a third leaves room for that, and is far from a stall (before
     * the fix: 4 writes in 90 s).
     */
    private static final double MIN_RATE_RATIO = 1 / 3.0;
    /** Clients come from different loopback addresses, so that per-client and total limits are both reached. */
    private static final List<String> CLIENT_ADDRESSES = List.of("127.0.0.2", "127.0.0.3", "127.0.0.4");
    private static final String QUERY = "SELECT * { ?s ?p ?o }";
    /** Non-reading clients of change feed pages per address and wave. */
    private static final int PAGES_PER_CLIENT = 3;
    /** Non-reading clients of snapshots, and of admin snapshot downloads, per address and wave: alone as many as the server's threads. */
    private static final int SNAPSHOTS_PER_CLIENT = 2;
    /**
     * Fewer server threads than the non-reading streams admitted at once (10 feed, 3 live SSE, 3
     * WebSockets, 9 pages, 6 snapshots, 6 admin snapshots), so that streams holding a thread each stall everyone. With the change
     * feed of 65e4dec, which did, this test fails: the server stops answering new requests; so it
     * did with the blocking pages and snapshots of 82a48be.
     */
    private static final int SERVER_THREADS = 12;

    @TempDir
    Path work;

    private final List<LogEvent> logged = Collections.synchronizedList(new ArrayList<>());
    private AbstractAppender appender;
    private Level levelBefore;

    @BeforeEach
    void captureLogs() {
        appender = new AbstractAppender("soak", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                logged.add(event.toImmutable());
            }
        };
        appender.start();
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        LoggerConfig lc = ctx.getConfiguration().getLoggerConfig("org.fusekicdc");
        levelBefore = lc.getLevel();
        lc.setLevel(Level.INFO);
        lc.addAppender(appender, Level.INFO, null);
        ctx.updateLoggers();
    }

    @AfterEach
    void restoreLogs() {
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        LoggerConfig lc = ctx.getConfiguration().getLoggerConfig("org.fusekicdc");
        lc.removeAppender("soak");
        lc.setLevel(levelBefore);
        ctx.updateLoggers();
        appender.stop();
    }

    @Test
    void clientsThatNeverReadStallNoOneAndAreDropped() throws Exception {
        String options = "cdc:feedMaxStreams 10 ; cdc:feedMaxStreamsPerClient 4 ; cdc:liveMaxPerClient 3 ; cdc:slowReaderSeconds 2 ;"
                         + " cdc:feedHeartbeatSeconds 1 ; cdc:liveHeartbeatSeconds 1 ;";
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", options + "\n    cdc:logDirectory");
        config = config.replace("fuseki:endpoint [ fuseki:operation cdc:live ;",
                                "fuseki:endpoint [ fuseki:operation cdc:snapshot ; fuseki:name \"snapshot\" ] ;\n    fuseki:endpoint [ fuseki:operation cdc:live ;");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> b.maxServerThreads(SERVER_THREADS))) {
            insertBig(f);
            // Warm up (JIT, connections) so that the unloaded rate is not measured on a cold server.
            long warmUp = writeFor(f, WARM_UP_SECONDS, 0).writes;
            Latencies unloaded = writeFor(f, UNLOADED_SECONDS, warmUp);

            Waves waves = new Waves(f);
            Thread opener = Thread.ofPlatform().daemon().name("soak-opener").start(waves::run);
            Latencies loaded;
            try {
                loaded = writeFor(f, LOADED_SECONDS, warmUp + unloaded.writes);
            } finally {
                waves.stop();
                opener.join(30_000);
            }

            if ( waves.failure != null )
                throw new AssertionError("opening non-reading clients failed", waves.failure);
            double unloadedRate = unloaded.rate(UNLOADED_SECONDS);
            double loadedRate = loaded.rate(LOADED_SECONDS);
            System.out.printf("StreamingSoakIT: unloaded %.1f writes/s (max %d ms); loaded %.1f writes/s (max write %d ms, query %d ms,"
                              + " status %d ms); answered %s%n", unloadedRate, unloaded.maxWrite, loadedRate, loaded.maxWrite,
                              loaded.maxQuery, loaded.maxStatus, waves.answered);
            assertTrue(loadedRate >= MIN_RATE_RATIO * unloadedRate,
                       () -> String.format("writes kept %.1f/s against %.1f/s unloaded", loadedRate, unloadedRate));
            assertTrue(loaded.maxWrite < MAX_LATENCY_MILLIS, "slowest write " + loaded.maxWrite + " ms");
            assertTrue(loaded.maxQuery < MAX_LATENCY_MILLIS, "slowest query " + loaded.maxQuery + " ms");
            assertTrue(loaded.maxStatus < MAX_LATENCY_MILLIS, "slowest status " + loaded.maxStatus + " ms");

            // The limits were reached: one client's share (429), then all streams (503).
            assertTrue(waves.answered.contains("feed 429") && waves.answered.contains("feed 503"), waves.answered.toString());
            for ( String endpoint : List.of("page", "snapshot", "admin-snapshot") )
                assertTrue(waves.answered.contains(endpoint + " 200"), waves.answered.toString());

            for ( String logger : List.of("FeedStreams", "LiveQueryService", "LiveWebSocket") )
                assertTrue(dropsLoggedBy(logger, "") > 0, "a non-reading client of " + logger + " was dropped with the reason logged");
            for ( String what : List.of("change feed page after version 0", "snapshot of version", "admin snapshot download of version") )
                assertTrue(dropsLoggedBy("ResponseStreams", what) > 0, "a non-reading client of a " + what + " was dropped with the reason logged");

            FeedStreams streams = f.runtime("ds").openedFeedStreams().orElseThrow();
            ResponseStreams responses = f.runtime("ds").responseStreams();
            waitFor(() -> streams.openCount() == 0 && responses.openCount() == 0 && f.runtime("ds").liveEngine().subscriptionCount() == 0,
                    "every stream, response and subscription is released");
            String status = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc"))).GET()).body().replaceAll("\\s", "");
            assertTrue(status.contains("\"feed\":{\"streams\":0,"), status);
            assertTrue(status.contains("\"live\":{\"subscriptions\":0,"), status);
            assertTrue(streams.droppedCount() > 0);
            assertEquals(dropsLoggedBy("ResponseStreams", ""), responses.droppedCount(), "every dropped response is counted once");
            assertEquals(dropsLoggedBy("LiveQueryService", "") + dropsLoggedBy("LiveWebSocket", ""), f.runtime("ds").liveEngine().droppedClientCount(),
                         "every dropped live stream and WebSocket is counted once");
            assertTrue(status.matches(".*\"live\":\\{[^}]*\"dropped\":" + f.runtime("ds").liveEngine().droppedClientCount() + "[,}].*"), status);
        }
    }

    private long dropsLoggedBy(String loggerSimpleName, String what) {
        synchronized (logged) {
            return logged.stream()
                         .filter(e -> e.getLoggerName().endsWith("." + loggerSimpleName))
                         .map(e -> e.getMessage().getFormattedMessage())
                         .filter(m -> m.contains(what) && m.contains("disconnected") && m.contains("took none of the waiting data") && m.contains("cdc:slowReaderSeconds"))
                         .count();
        }
    }

    /** Slowest write, query and status request, and the number of writes. */
    private static final class Latencies {
        long writes;
        long maxWrite;
        long maxQuery;
        long maxStatus;

        double rate(long seconds) {
            return writes / (double)seconds;
        }
    }

    /** Write one small transaction after the other for {@code seconds}; a query and a status request after every fifth. */
    private static Latencies writeFor(CdcFuseki f, long seconds, long offset) {
        Latencies l = new Latencies();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while ( System.nanoTime() < end ) {
            long t0 = System.nanoTime();
            HttpResponse<String> w = f.update("ds", "INSERT DATA { <http://example/s" + (offset + l.writes) + "> <http://example/p> 1 }");
            assertEquals(204, w.statusCode(), w.body());
            l.maxWrite = Math.max(l.maxWrite, millisSince(t0));
            l.writes++;
            if ( l.writes % 5 != 0 )
                continue;
            t0 = System.nanoTime();
            HttpResponse<String> q = f.post("/ds/sparql", "application/sparql-query", "ASK { ?s ?p ?o }");
            assertEquals(200, q.statusCode(), q.body());
            l.maxQuery = Math.max(l.maxQuery, millisSince(t0));
            t0 = System.nanoTime();
            assertEquals(200, f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc"))).GET()).statusCode());
            l.maxStatus = Math.max(l.maxStatus, millisSince(t0));
        }
        return l;
    }

    private static long millisSince(long t0) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** A ten megabyte patch and live answer: more than a non-reading client's connection and the kernel's buffers hold. */
    private static void insertBig(CdcFuseki f) {
        StringBuilder big = new StringBuilder("INSERT DATA {");
        for ( int i = 0 ; i < 5_000 ; i++ )
            big.append(" <http://example/big").append(i).append("> <http://example/p> \"").append("x".repeat(2000)).append("\" .");
        assertEquals(204, f.update("ds", big.append(" }").toString()).statusCode());
    }

    /** Waves of non-reading clients on every streaming endpoint, each wave closed when the next opens. */
    private static final class Waves {
        private final CdcFuseki f;
        private final Set<Socket> open = ConcurrentHashMap.newKeySet();
        private volatile boolean stopped;
        volatile Throwable failure;
        /** How the endpoints answered the non-reading clients in any wave, e.g. "feed 200", "feed 429". */
        final Set<String> answered = ConcurrentHashMap.newKeySet();

        Waves(CdcFuseki f) {
            this.f = f;
        }

        void run() {
            try {
                openWaves();
            } catch (Throwable t) {
                failure = t;
            }
        }

        private void openWaves() {
            while ( !stopped ) {
                closeAll();
                // One more feed stream than a client's share; three clients ask for more than the total.
                for ( String address : CLIENT_ADDRESSES ) {
                    for ( int i = 0 ; i < 5 ; i++ )
                        note("feed", openFeed(address));
                }
                for ( String address : CLIENT_ADDRESSES ) {
                    for ( int i = 0 ; i < PAGES_PER_CLIENT ; i++ )
                        note("page", openPage(address));
                    for ( int i = 0 ; i < SNAPSHOTS_PER_CLIENT ; i++ ) {
                        note("snapshot", request(address, "GET /ds/snapshot HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                        note("admin-snapshot", request(address, "GET /$/cdc/ds/snapshot HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                    }
                }
                // With the WebSocket's subscriptions, more live subscriptions than a client may hold.
                for ( String address : CLIENT_ADDRESSES ) {
                    note("live-sse", openLiveSse(address));
                    openWebSocket(address);
                }
                sleep(TimeUnit.SECONDS.toMillis(REOPEN_SECONDS));
            }
            closeAll();
        }

        void stop() {
            stopped = true;
        }

        private void note(String endpoint, int status) {
            answered.add(endpoint + " " + status);
        }

        private int openFeed(String address) {
            return request(address, "GET /ds/changes?after=0 HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
        }

        /** The first page holds the ten megabyte patch. */
        private int openPage(String address) {
            return request(address, "GET /ds/changes?after=0&limit=1000 HTTP/1.1\r\nHost: localhost\r\n\r\n");
        }

        private int openLiveSse(String address) {
            return request(address, "GET /ds/live?query=" + URLEncoder.encode(QUERY, StandardCharsets.UTF_8)
                                    + " HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n");
        }

        /** A WebSocket asking for one more subscription than a client may hold, then reading nothing. */
        private void openWebSocket(String address) {
            int status = request(address, "GET /ds/live HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                          + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
            assertEquals(101, status);
        }

        /** Send a request on a socket that takes in little, and read only the status line. */
        private int request(String address, String request) {
            Socket s = new Socket();
            try {
                s.setReceiveBufferSize(16 * 1024);
                s.bind(new InetSocketAddress(address, 0));
                s.connect(new InetSocketAddress("127.0.0.1", f.server().getHttpPort()));
                s.setSoTimeout(10_000);
                open.add(s);
                OutputStream out = s.getOutputStream();
                out.write(request.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String statusLine = line(s.getInputStream());
                int status = Integer.parseInt(statusLine.split(" ")[1]);
                if ( status == 101 ) {
                    while ( !line(s.getInputStream()).isEmpty() ) {}
                    for ( int i = 0 ; i < 4 ; i++ )
                        out.write(maskedText("{\"subscribe\": {\"sparql\": \"" + QUERY + "\", \"alias\": \"a" + i + "\"}}"));
                    out.flush();
                }
                return status;
            } catch (IOException ex) {
                throw new AssertionError("opening a non-reading client from " + address + ": " + ex, ex);
            }
        }

        private static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ( (c = in.read()) >= 0 && c != '\n' ) {
                if ( c != '\r' )
                    b.write(c);
            }
            return b.toString(StandardCharsets.US_ASCII);
        }

        private static byte[] maskedText(String text) {
            byte[] p = text.getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            frame.write(0x81);
            frame.write(0x80 | p.length);
            byte[] mask = {1, 2, 3, 4};
            frame.writeBytes(mask);
            for ( int i = 0 ; i < p.length ; i++ )
                frame.write(p[i] ^ mask[i & 3]);
            return frame.toByteArray();
        }

        private void closeAll() {
            for ( Socket s : List.copyOf(open) ) {
                try {
                    s.close();
                } catch (IOException ex) {
                    // Closing a test client: nothing to do.
                }
                open.remove(s);
            }
        }

        private void sleep(long millis) {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            while ( !stopped && System.nanoTime() < end ) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        TestSupport.await(what, java.time.Duration.ofSeconds(20), condition);
    }
}
