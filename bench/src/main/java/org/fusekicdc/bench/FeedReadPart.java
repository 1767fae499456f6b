package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Part 3 of {@link CaptureOverheadBench}: a captured server's change feed read from version 0 to the head. */
final class FeedReadPart {
    private static final long MB = 1024 * 1024;

    private final CaptureBenchOptions opt;
    private final HttpLoad load;
    private final BenchReport report;

    FeedReadPart(CaptureBenchOptions opt, HttpLoad load, BenchReport report) {
        this.opt = opt;
        this.load = load;
        this.report = report;
    }

    private record FeedRead(long pages, long patches, long quads, long bytes, double seconds) {}

    void feed(ChildServer server, String what) throws Exception {
        progress("Part 3: reading the change feed of " + server.label + " " + what);
        List<FeedRead> reads = new ArrayList<>();
        for ( int i = 0 ; i < opt.feedRepeats() ; i++ ) {
            FeedRead r = readFeed(server);
            reads.add(r);
            progress(String.format(Locale.ROOT, "  read %d: %d patches, %d quads in %.2f s", i + 1, r.patches(), r.quads(), r.seconds()));
        }
        reads.sort(Comparator.comparingDouble(FeedRead::seconds));
        FeedRead m = reads.get(reads.size() / 2);
        report.out("Part 3: change feed read, " + server.label + " server " + what);
        report.out("  GET /ds/changes?after=N&limit=1000 from version 0 to the head, text patches; median of " + reads.size() + " full reads");
        report.out("");
        report.out(String.format(Locale.ROOT, "  | %8s | %9s | %11s | %9s | %9s | %11s | %12s |", "pages", "patches", "quads (A/D)", "MB", "seconds",
                                 "patches/s", "quads/s"));
        report.out("  |----------|-----------|-------------|-----------|-----------|-------------|--------------|");
        report.out(String.format(Locale.ROOT, "  | %8d | %9d | %11d | %9.1f | %9.2f | %11.0f | %12.0f |", m.pages(), m.patches(), m.quads(),
                                 m.bytes() / (double)MB, m.seconds(), m.patches() / m.seconds(), m.quads() / m.seconds()));
        report.out("");
    }

    private FeedRead readFeed(ChildServer server) throws Exception {
        long after = 0;
        long pages = 0;
        long bytes = 0;
        long[] counts = new long[2];  // patches, quads
        long t0 = System.nanoTime();
        while ( true ) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(server.base() + "/changes?after=" + after + "&limit=1000"))
                                         .header("Accept", "application/rdf-patch").GET().build();
            HttpResponse<InputStream> resp = load.http.send(req, HttpResponse.BodyHandlers.ofInputStream());
            if ( resp.statusCode() != 200 )
                throw new IOException(server.label + ": feed read failed with " + resp.statusCode());
            long head = Long.parseLong(resp.headers().firstValue("X-CDC-Head-Version").orElseThrow());
            long last = Long.parseLong(resp.headers().firstValue("X-CDC-Last-Version").orElseThrow());
            try (InputStream in = resp.body()) {
                bytes += countLines(in, counts);
            }
            pages++;
            if ( last <= after || last >= head )
                break;
            after = last;
        }
        return new FeedRead(pages, counts[0], counts[1], bytes, (System.nanoTime() - t0) / 1e9);
    }

    /** Count patch ends ("TC") and quad lines ("A ", "D ") without decoding the text; returns the bytes read. */
    static long countLines(InputStream in, long[] counts) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        int state = 0;  // 0: at line start, 1: after the first character, 2: inside the line
        int first = 0;
        int n;
        while ( (n = in.read(buf)) > 0 ) {
            total += n;
            for ( int i = 0 ; i < n ; i++ ) {
                int b = buf[i];
                if ( b == '\n' ) {
                    state = 0;
                } else if ( state == 0 ) {
                    first = b;
                    state = 1;
                } else if ( state == 1 ) {
                    if ( (first == 'A' || first == 'D') && b == ' ' )
                        counts[1]++;
                    else if ( first == 'T' && b == 'C' )
                        counts[0]++;
                    state = 2;
                }
            }
        }
        return total;
    }
}
