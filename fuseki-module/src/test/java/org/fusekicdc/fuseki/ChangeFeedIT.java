package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
            assertTrue(r.body().contains("after must be a version number"), r.body());
            r = get(f, "/ds/changes?limit=5000", null);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("from 1 to 1000"), r.body());
            r = get(f, "/ds/changes?after=99", null);
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("newer than the newest version"), r.body());
            assertEquals(405, f.post("/ds/changes", "application/rdf-patch", "TX .\nTC .\n").statusCode());
            assertEquals(406, get(f, "/ds/changes", "image/png").statusCode());
        }
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
            StringBuilder big = new StringBuilder("INSERT DATA {");
            for ( int i = 0 ; i < 20_000 ; i++ )
                big.append(" <http://example/big> <http://example/p> \"").append("x".repeat(50)).append(i).append("\" .");
            assertEquals(204, f.update("ds", big.append(" }").toString()).statusCode());
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
