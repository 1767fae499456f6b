package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A transaction far larger than the heap's room for its patch: 300,000 quads uploaded to a
 * Fuseki whose heap is 64 MB (with spilling off, {@code cdc:spillThreshold 10000000}, the upload
 * fails with an OutOfMemoryError), then all deleted in one update. Both commits must succeed, and
 * each patch must hold every change. The ratio of quads to heap is what is tested, not the size.
 */
class LargeTransactionIT {
    private static final int QUADS = 300_000;
    private static final String HEAP = "-Xmx64m";

    @TempDir
    Path work;

    @Test
    void aTransactionLargerThanTheHeapIsCapturedWhole() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = work.resolve("config.ttl");
        Files.writeString(config, CdcFuseki.exampleConfig("quickstart.ttl", work.resolve("run")));
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), HEAP,
                                                   "-cp", System.getProperty("java.class.path"),
                                                   "org.apache.jena.fuseki.main.cmds.FusekiServerUICmd",
                                                   "--port=" + port, "--config=" + config));
        Process fuseki = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true)
                                                .redirectOutput(work.resolve("fuseki.log").toFile()).start();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://localhost:" + port + "/ds";
            awaitUp(http, base, fuseki);

            HttpResponse<String> upload = http.send(HttpRequest.newBuilder(URI.create(base + "/data"))
                                                               .header("Content-Type", "application/n-quads")
                                                               .POST(HttpRequest.BodyPublishers.ofInputStream(LargeTransactionIT::quads))
                                                               .timeout(Duration.ofMinutes(5)).build(),
                                                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, upload.statusCode(), () -> upload.body() + "\n" + tail(work.resolve("fuseki.log")));

            HttpResponse<String> drop = http.send(HttpRequest.newBuilder(URI.create(base + "/update"))
                                                             .header("Content-Type", "application/sparql-update")
                                                             .POST(HttpRequest.BodyPublishers.ofString("DROP ALL"))
                                                             .timeout(Duration.ofMinutes(5)).build(),
                                                  HttpResponse.BodyHandlers.ofString());
            assertEquals(204, drop.statusCode(), () -> drop.body() + "\n" + tail(work.resolve("fuseki.log")));
        } finally {
            fuseki.destroy();
            fuseki.waitFor();
        }
        assertTrue(!Files.readString(work.resolve("fuseki.log")).contains("OutOfMemoryError"), "the server ran out of memory");
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("run/changes/ds"), "ds"))) {
            assertEquals(2, log.headVersion());
            assertEquals(QUADS, count(log.read(1), "A "), "adds in the upload's patch");
            assertEquals(QUADS, count(log.read(2), "D "), "deletes in DROP ALL's patch");
        }
    }

    private static InputStream quads() {
        return new InputStream() {
            private int next = 0;
            private byte[] line = new byte[0];
            private int pos = 0;

            @Override
            public int read() {
                if ( pos == line.length ) {
                    if ( next == QUADS )
                        return -1;
                    int i = next++;
                    line = ("<http://example/s" + (i / 10) + "> <http://example/p" + (i % 10) + "> \"value " + i + "\" <http://example/g"
                            + (i % 7) + "> .\n").getBytes(StandardCharsets.UTF_8);
                    pos = 0;
                }
                return line[pos++];
            }
        };
    }

    private static long count(LogRecord record, String prefix) throws IOException {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(record.openPayload(), StandardCharsets.UTF_8))) {
            return r.lines().filter(l -> l.startsWith(prefix)).count();
        }
    }

    private static void awaitUp(HttpClient http, String base, Process fuseki) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ( System.nanoTime() < deadline ) {
            if ( !fuseki.isAlive() )
                throw new AssertionError("Fuseki exited at start-up with " + fuseki.exitValue());
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(base + "?query=ASK%7B%7D")).build(),
                                                 HttpResponse.BodyHandlers.discarding());
                if ( r.statusCode() == 200 )
                    return;
            } catch (IOException notYet) {
                fuseki.waitFor(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        throw new AssertionError("Fuseki did not start within 60 s");
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException ex) {
            return "(no log: " + ex + ")";
        }
    }
}
