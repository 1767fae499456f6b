package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.binary.RDFPatchReaderBinary;
import org.apache.jena.rdfpatch.changes.RDFChangesCollector;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The change feed over HTTP: pages, formats, errors, and live tails that never skip or repeat a version. */
class ChangeFeedIT {
    @TempDir
    Path work;

    private static String config(Path work, String extraOptions) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work)
                        .replace("cdc:logDirectory", extraOptions + "\n    cdc:logDirectory");
    }

    private static void insert(CdcFuseki f, int i) {
        HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }");
        assertEquals(204, r.statusCode(), r.body());
    }

    private static HttpResponse<String> get(CdcFuseki f, String pathAndQuery, String accept) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url(pathAndQuery))).GET();
        if ( accept != null )
            b.header("Accept", accept);
        return f.send(b);
    }

    private static long version(RDFPatch p) {
        return Long.parseLong(p.getHeader("version").getLiteralLexicalForm());
    }

    @Test
    void pagesReturnPatchesAfterAVersionInOrderWithTheirHeaders() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            for ( int i = 1 ; i <= 5 ; i++ )
                insert(f, i);
            HttpResponse<String> all = get(f, "/ds/changes", null);
            assertEquals(200, all.statusCode());
            assertEquals("application/rdf-patch", all.headers().firstValue("Content-Type").orElseThrow().split(";")[0]);
            List<RDFPatch> ps = CdcFuseki.patches(all.body());
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), ps.stream().map(ChangeFeedIT::version).toList());
            for ( int i = 1 ; i < ps.size() ; i++ )
                assertEquals(ps.get(i - 1).getId(), ps.get(i).getPrevious(), "prev chain");
            assertEquals("5", all.headers().firstValue("X-CDC-Head-Version").orElseThrow());

            HttpResponse<String> page = get(f, "/ds/changes?after=2&limit=2", "application/rdf-patch");
            assertEquals(List.of(3L, 4L), CdcFuseki.patches(page.body()).stream().map(ChangeFeedIT::version).toList());
            assertEquals("4", page.headers().firstValue("X-CDC-Last-Version").orElseThrow());

            HttpResponse<String> none = get(f, "/ds/changes?after=5", null);
            assertEquals(200, none.statusCode());
            assertEquals("", none.body(), "nothing newer: empty body");
        }
    }

    @Test
    void binaryPatchesWhenTheClientAsksForThem() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            insert(f, 1);
            insert(f, 2);
            HttpResponse<byte[]> r;
            try {
                r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(f.url("/ds/changes?after=1")))
                                                               .header("Accept", "application/rdf-patch+thrift").build(),
                                                    HttpResponse.BodyHandlers.ofByteArray());
            } catch (IOException | InterruptedException ex) {
                throw new AssertionError(ex);
            }
            assertEquals(200, r.statusCode());
            assertEquals("application/rdf-patch+thrift", r.headers().firstValue("Content-Type").orElseThrow());
            RDFChangesCollector c = new RDFChangesCollector();
            RDFPatchReaderBinary.read(new ByteArrayInputStream(r.body()), c);
            RDFPatch p = c.getRDFPatch();
            assertEquals(2L, version(p));
            assertEquals(1, RDFPatchOps.summary(p).getCountAddData());
        }
    }

    @Test
    void badParametersAndMethodsGetTheReason() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            insert(f, 1);
            HttpResponse<String> r = get(f, "/ds/changes?after=abc", null);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("after parameter must be a version number"), r.body());
            r = get(f, "/ds/changes?limit=5000", null);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("from 1 to 1000"), r.body());
            r = get(f, "/ds/changes?after=99", null);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("newer than the newest version"), r.body());
            r = f.post("/ds/changes", "application/rdf-patch", "TX .\nTC .\n");
            assertEquals(405, r.statusCode());
            assertEquals("GET, HEAD, OPTIONS", r.headers().firstValue("Allow").orElse(null), "a 405 names the methods allowed");
            assertEquals(406, get(f, "/ds/changes", "image/png").statusCode());
        }
    }

    @Test
    void aHugeLastEventIdIsNamedNotEchoedWhole() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            String huge = "9".repeat(50_000) + "x".repeat(50_000);
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/changes"))).header("Accept", "text/event-stream")
                                                       .header("Last-Event-ID", huge).GET());
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("Last-Event-ID header must be a version number"), r.body());
            assertTrue(r.body().contains("(100000 characters)"), r.body());
            assertTrue(r.body().length() < 1000, () -> "the body quotes the start of the header only: " + r.body().length() + " characters");
        }
    }

    @Test
    void oneClientMayHoldItsShareOfLiveStreamsOnly() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:feedMaxStreams 4 ; cdc:feedMaxStreamsPerClient 2 ; cdc:feedHeartbeatSeconds 1 ;"),
                                           b -> b.enableMetrics(true))) {
            FeedStreams streams;
            try (SseClient first = tail(f, "/ds/changes", null);
                 SseClient second = tail(f, "/ds/changes", null)) {
                assertEquals(200, second.response.statusCode());
                HttpResponse<String> third = get(f, "/ds/changes", "text/event-stream");
                assertEquals(429, third.statusCode());
                assertTrue(third.body().contains("cdc:feedMaxStreamsPerClient"), third.body());
                assertTrue(third.headers().firstValue("Retry-After").isPresent());
                streams = f.runtime("ds").openedFeedStreams().orElseThrow();
                assertEquals(2, streams.openCount());
                assertEquals(2.0, feedStreamsGauge(f));
            }
            waitFor(() -> streams.openCount() == 0, "the closed streams are released");
            assertEquals(0.0, feedStreamsGauge(f));
            try (SseClient again = tail(f, "/ds/changes", null)) {
                assertEquals(200, again.response.statusCode(), "a client that closed its streams may open new ones");
            }
        }
    }

    @Test
    void stoppingTheServerEndsEveryLiveStreamAndReleasesIt() throws Exception {
        CdcFuseki f = CdcFuseki.startQuickstart(work);
        try (SseClient first = tail(f, "/ds/changes", null);
             SseClient second = tail(f, "/ds/changes", null)) {
            insert(f, 1);
            assertEquals(1L, nextPatch(first));
            FeedStreams streams = f.runtime("ds").openedFeedStreams().orElseThrow();
            assertEquals(2, streams.openCount());
            f.close();
            assertEquals(0, streams.openCount(), "every stream is counted out when the server stops");
        }
    }

    @Test
    void aReaderThatStopsReadingIsDisconnectedAndItsStreamReleased() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:slowReaderSeconds 1 ;"), b -> {})) {
            insertBig(f);
            try (Socket stalled = new Socket()) {
                stalled.setReceiveBufferSize(16 * 1024);
                stalled.connect(new InetSocketAddress("localhost", f.server().getHttpPort()));
                stalled.getOutputStream().write(("GET /ds/changes HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
                                                    .getBytes(StandardCharsets.US_ASCII));
                assertTrue(stalled.getInputStream().read() > 0, "the stream started");
                FeedStreams streams = f.runtime("ds").openedFeedStreams().orElseThrow();
                assertEquals(1, streams.openCount());
                waitFor(() -> streams.droppedCount() == 1 && streams.openCount() == 0, "the stalled reader is dropped");
                // Its connection is cut: reading on finds the end of the stream, not a patch completed later.
                stalled.setSoTimeout(10_000);
                InputStream in = stalled.getInputStream();
                while ( in.read(new byte[8192]) >= 0 ) {}
            }
            HttpResponse<String> status = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc"))).GET());
            assertTrue(status.body().replaceAll("\\s", "").contains("\"feed\":{\"streams\":0,\"dropped\":1}"), status.body());
        }
    }

    /** Ten megabytes: more than a connection and the kernel's buffers hold for a client that does not read. */
    private static double feedStreamsGauge(CdcFuseki f) {
        String metrics = get(f, "/$/metrics", null).body();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^fusekicdc_feed_streams\\{[^}]*dataset=\"ds\"[^}]*\\} (\\S+)$").matcher(metrics);
        assertTrue(m.find(), () -> "no fusekicdc_feed_streams in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private static void insertBig(CdcFuseki f) {
        StringBuilder big = new StringBuilder("INSERT DATA {");
        for ( int i = 0 ; i < 5_000 ; i++ )
            big.append(" <http://example/big> <http://example/p> \"").append("x".repeat(2000)).append(i).append("\" .");
        assertEquals(204, f.update("ds", big.append(" }").toString()).statusCode());
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        TestSupport.await(what, java.time.Duration.ofSeconds(20), condition);
    }

    @Test
    void aVersionRemovedByRetentionIsGoneWithTheOldestStillAvailable() {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:segmentBytes 1024 ; cdc:retainVersions 2 ;"), b -> {})) {
            for ( int i = 1 ; i <= 40 ; i++ )
                insert(f, i);
            long oldest = f.dataset("ds").changeLog().firstVersion();
            assertTrue(oldest > 1, "retention removed early segments");
            HttpResponse<String> r = get(f, "/ds/changes?after=0", null);
            assertEquals(410, r.statusCode());
            assertTrue(r.body().contains("oldest version still available is " + oldest), r.body());
            assertEquals(200, get(f, "/ds/changes?after=" + (oldest - 1), null).statusCode());
        }
    }

    private static SseClient tail(CdcFuseki f, String pathAndQuery, String lastEventId) throws Exception {
        return new SseClient(f.url(pathAndQuery), lastEventId == null ? Map.of() : Map.of("Last-Event-ID", lastEventId));
    }

    /** The next patch event's version; checks the event carries a whole patch of that version. */
    private static long nextPatch(SseClient tail) throws InterruptedException {
        SseClient.Event e = tail.next();
        assertEquals("patch", e.event());
        RDFPatch p = RDFPatchOps.read(new ByteArrayInputStream(e.data().getBytes(StandardCharsets.UTF_8)));
        long id = Long.parseLong(e.id());
        assertEquals(id, version(p), "event id is the patch version");
        return id;
    }

    @Test
    void aLiveTailDeliversEveryVersionOnceAndResumesAcrossARestart() throws Exception {
        String cfg = config(work, "cdc:feedHeartbeatSeconds 1 ;");
        List<Long> seen = new ArrayList<>();
        try (CdcFuseki f = CdcFuseki.start(work, cfg, b -> {})) {
            for ( int i = 1 ; i <= 3 ; i++ )
                insert(f, i);
            try (SseClient tail = tail(f, "/ds/changes?after=1", null)) {
                assertEquals(200, tail.response.statusCode());
                seen.add(nextPatch(tail));
                seen.add(nextPatch(tail));
                for ( int i = 4 ; i <= 6 ; i++ )
                    insert(f, i);
                for ( int i = 4 ; i <= 6 ; i++ )
                    seen.add(nextPatch(tail));
                SseClient.Event e;
                do {
                    e = tail.poll(10_000);
                } while ( e != null && !e.event().equals("heartbeat") );
                assertEquals("heartbeat", e == null ? null : e.event(), "an idle stream sends heartbeats");
            }
        }
        try (CdcFuseki f = CdcFuseki.start(work, cfg, b -> {})) {
            for ( int i = 7 ; i <= 8 ; i++ )
                insert(f, i);
            try (SseClient tail = tail(f, "/ds/changes?after=0", String.valueOf(seen.getLast()))) {
                for ( int i = 0 ; i < 2 ; i++ )
                    seen.add(nextPatch(tail));
            }
        }
        assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L, 8L), seen, "each version once, in order, across the restart");
    }

    @Test
    void aLiveTailDeliversAPatchLargerThanOneReadWholeBetweenSmallOnes() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work);
             SseClient tail = tail(f, "/ds/changes", null)) {
            insert(f, 1);
            // Lines of 2 KB, a megabyte in all: read from the log and sent in many pieces.
            StringBuilder big = new StringBuilder("INSERT DATA {");
            for ( int i = 0 ; i < 500 ; i++ )
                big.append(" <http://example/big> <http://example/p> \"").append("y".repeat(2000)).append(i).append("\" .");
            assertEquals(204, f.update("ds", big.append(" }").toString()).statusCode());
            insert(f, 3);
            assertEquals(1L, nextPatch(tail));
            SseClient.Event e = tail.next();
            RDFPatch p = RDFPatchOps.read(new ByteArrayInputStream(e.data().getBytes(StandardCharsets.UTF_8)));
            assertEquals(2L, version(p));
            assertEquals(500, RDFPatchOps.summary(p).getCountAddData(), "every line of the large patch");
            assertEquals(3L, nextPatch(tail));
        }
    }

    @Test
    void tooManyLiveStreamsGetServiceUnavailable() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:feedMaxStreams 1 ;"), b -> {});
             SseClient first = tail(f, "/ds/changes", null)) {
            assertEquals(200, first.response.statusCode());
            HttpResponse<String> second = get(f, "/ds/changes", "text/event-stream");
            assertEquals(503, second.statusCode());
            assertTrue(second.body().contains("cdc:feedMaxStreams"), second.body());
            assertTrue(second.headers().firstValue("Retry-After").isPresent());
        }
    }

    @Test
    void aReaderThatStopsReadingDoesNotHoldUpWriters() throws Exception {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            // A big patch the stalled reader will never drain.
            insertBig(f);
            try (Socket stalled = new Socket("localhost", f.server().getHttpPort())) {
                OutputStream out = stalled.getOutputStream();
                out.write(("GET /ds/changes HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = stalled.getInputStream();
                assertTrue(in.read() > 0, "the stream started");
                // The client reads nothing more; writers carry on regardless.
                for ( int i = 1 ; i <= 100 ; i++ )
                    insert(f, i);
                assertEquals(101, f.dataset("ds").changeLog().publishedVersion());
            }
        }
    }
}
