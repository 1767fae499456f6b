package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.jena.atlas.io.IOX;
import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a user sees when the change log is damaged or lost, through a real Fuseki over a TDB2
 * store (the quick start): damaged records are never served (the feed answers 500 naming segment
 * and version, status shows the damage), start-up stops on damage it can see and on a missing log,
 * and an explicit new history starts with its epoch visible.
 */
class LogIntegrityIT {
    private static final int HEADER = 60;
    private static final int OVERHEAD = HEADER + 4;

    @TempDir
    Path work;

    private Path logDir() {
        return work.resolve("changes/ds");
    }

    private String config(String extraOptions) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work)
                        .replace("cdc:logDirectory", "cdc:segmentBytes 1024 ; " + extraOptions + "\n    cdc:logDirectory");
    }

    private CdcFuseki start(String extraOptions) {
        return CdcFuseki.start(work, config(extraOptions), b -> {});
    }

    private static void insert(CdcFuseki f, int i) {
        HttpResponse<String> r = f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }");
        assertEquals(204, r.statusCode(), r.body());
    }

    /** Versions 1..n written through the server, which is then stopped. */
    private void writeAndStop(int n) {
        try (CdcFuseki f = start("")) {
            for ( int i = 1 ; i <= n ; i++ )
                insert(f, i);
        }
    }

    private static HttpResponse<String> get(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))).GET());
    }

    private List<Path> segments() throws IOException {
        try (var files = Files.list(logDir())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".log")).sorted().toList();
        }
    }

    private static long firstVersion(Path segment) {
        String n = segment.getFileName().toString();
        return Long.parseLong(n.substring(0, n.length() - 4));
    }

    /** Byte offset of a version's record in its segment, by walking the record headers. */
    private static long offsetOf(Path segment, long version) throws IOException {
        try (FileChannel ch = FileChannel.open(segment, StandardOpenOption.READ)) {
            long pos = 0;
            for ( long v = firstVersion(segment) ; v < version ; v++ ) {
                ByteBuffer len = ByteBuffer.allocate(8);
                ch.read(len, pos + 52);
                pos += OVERHEAD + len.getLong(0);
            }
            return pos;
        }
    }

    private static void flipByte(Path file, long pos) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[(int)pos] ^= 0x5A;
        Files.write(file, b);
    }

    private Throwable startFails(String extraOptions) {
        return assertThrows(Throwable.class, () -> start(extraOptions).close());
    }

    private static String messages(Throwable ex) {
        List<String> all = new ArrayList<>();
        for ( Throwable t = ex ; t != null ; t = t.getCause() )
            all.add(String.valueOf(t.getMessage()));
        return String.join(" / ", all);
    }

    private static void assertContains(String text, String... parts) {
        for ( String part : parts )
            assertTrue(text.contains(part), () -> "expected '" + part + "' in: " + text);
    }

    private static JsonObject status(CdcFuseki f) {
        HttpResponse<String> r = get(f, "/$/cdc");
        assertEquals(200, r.statusCode(), r.body());
        return JSON.parse(r.body()).get("datasets").getAsArray().get(0).getAsObject();
    }

    @Test
    void aDamagedRecordIsNeverServedAndStatusShowsWhereItIs() throws Exception {
        writeAndStop(8);
        Path sealed = segments().get(0);
        flipByte(sealed, offsetOf(sealed, 2) + HEADER + 20);     // version 2's payload: only a read finds it
        try (CdcFuseki f = start("")) {
            HttpResponse<String> page = get(f, "/ds/changes?after=0");
            assertEquals(200, page.statusCode(), page.body());
            assertEquals("1", page.headers().firstValue("X-CDC-Last-Version").orElseThrow(), "the page ends before the damaged record");
            assertContains(page.body(), "H version 1 .");
            assertFalse(page.body().contains("H version 2 ."), page.body());

            HttpResponse<String> ldesPage = get(f, "/ds/ldes?epoch=0&from=1&to=100");
            assertEquals(500, ldesPage.statusCode(), "a Linked Data Event Stream page is whole or not served");
            assertContains(ldesPage.body(), "version 2 in segment", sealed.getFileName().toString());
            assertFalse(ldesPage.headers().firstValue("Cache-Control").orElse("").contains("immutable"), "an error is not cached as the page");

            HttpResponse<String> damaged = get(f, "/ds/changes?after=1");
            assertEquals(500, damaged.statusCode());
            assertContains(damaged.body(), "version 2 in segment", sealed.getFileName().toString(), "checksum mismatch",
                           "Restore the change log directory from a backup");
            assertFalse(damaged.body().contains(".idx"), damaged.body());

            JsonObject damage = status(f).get("damage").getAsObject();
            assertEquals(2, damage.get("version").getAsNumber().value().longValue());
            assertEquals(sealed.toString(), damage.get("segment").getAsString().value());
            assertEquals("checksum mismatch", damage.get("problem").getAsString().value());

            // A live tail gets the versions before it, then an error event naming it, and ends.
            try (SseClient sse = new SseClient(f.url("/ds/changes?after=0"), Map.of())) {
                assertEquals("1", sse.next().id());
                SseClient.Event error = sse.next();
                assertEquals("error", error.event());
                assertContains(error.data(), "version 2 in segment", sealed.getFileName().toString());
            }

            // The store is intact and writes go on after the last version.
            insert(f, 9);
            assertEquals(9, f.dataset("ds").changeLog().publishedVersion());
        }
    }

    @Test
    void aDamagedRecordMarkerStopsStartUpNamingSegmentVersionAndFix() throws IOException {
        writeAndStop(8);
        Path sealed = segments().get(0);
        flipByte(sealed, offsetOf(sealed, 2) + 1);
        assertContains(messages(startFails("")), "version 2 in segment", sealed.getFileName().toString(), "no record marker",
                       "Restore the change log directory from a backup", "cdc:startNewHistory");
    }

    @Test
    void aDamagedLastRecordStopsStartUpAndItsVersionIsNeverReused() throws IOException {
        writeAndStop(8);
        Path last = segments().getLast();
        long size = Files.size(last);
        long at = offsetOf(last, 8) + HEADER + 10;
        flipByte(last, at);
        assertContains(messages(startFails("")), "version 8 in segment", last.getFileName().toString(), "may have been acknowledged");
        assertEquals(size, Files.size(last), "the acknowledged record is kept");
        flipByte(last, at);
        try (CdcFuseki f = start("")) {
            insert(f, 9);
            assertEquals(9, f.dataset("ds").changeLog().publishedVersion());
        }
    }

    @Test
    void aLostLogDirectoryStopsStartUpUntilANewHistoryIsStartedWithItsEpochVisible() throws IOException {
        writeAndStop(3);
        IOX.deleteAll(logDir());
        assertContains(messages(startFails("")), "belongs to history", logDir().toString(), "is missing or empty",
                       "Restore the change log directory", "cdc:startNewHistory 1");
        assertContains(messages(startFails("cdc:startNewHistory 2 ;")), "Set cdc:startNewHistory 1");
        try (CdcFuseki f = start("cdc:startNewHistory 1 ;")) {
            HttpResponse<String> empty = get(f, "/ds/changes?after=0");
            assertEquals("1", empty.headers().firstValue("X-CDC-Epoch").orElseThrow());
            assertEquals("0", empty.headers().firstValue("X-CDC-Head-Version").orElseThrow());
            insert(f, 4);
            HttpResponse<String> page = get(f, "/ds/changes?after=0");
            assertContains(page.body(), "H version 1 .", "H epoch 1 .");
            assertEquals(1, status(f).get("epoch").getAsNumber().value().longValue());
            assertContains(get(f, "/$/cdc/ds/snapshot").body(), "H epoch 1 .", "H version 1 .");
            HttpResponse<String> count = f.post("/ds/query", "application/sparql-query", "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }");
            assertContains(count.body(), ">4</literal>");
        }
        // Left in place, the option does nothing more.
        try (CdcFuseki f = start("cdc:startNewHistory 1 ;")) {
            assertEquals(1, f.dataset("ds").changeLog().headVersion());
            assertEquals(1, f.dataset("ds").changeLog().epoch());
        }
    }
}
