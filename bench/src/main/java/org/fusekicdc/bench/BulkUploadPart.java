package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;
import static org.fusekicdc.bench.BenchStats.median;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Part 2 of {@link CaptureOverheadBench}: a large N-Triples upload to fresh plain and captured
 * servers, timed, with the server's peak heap.
 */
final class BulkUploadPart {
    private static final long MB = 1024 * 1024;

    private final CaptureBenchOptions opt;
    private final HttpLoad load;
    private final BenchReport report;

    BulkUploadPart(CaptureBenchOptions opt, HttpLoad load, BenchReport report) {
        this.opt = opt;
        this.load = load;
        this.report = report;
    }

    private record Bulk(ServerKind kind, int round, double seconds, long peakHeap, long oldPeak, long maxAfterGc, long gcs) {}

    void run() throws Exception {
        List<ServerKind> kinds = opt.bulkConfigs();
        progress("Part 2: bulk upload of " + opt.bulkTriples() + " triples, servers " + kinds.stream().map(k -> k.id).toList() + ", "
                 + opt.bulkRounds() + " round(s)");
        List<Bulk> results = new ArrayList<>();
        ChildServer keptForFeed = null;
        try {
            for ( int r = 0 ; r < opt.bulkRounds() ; r++ ) {
                // Alternate the order (a,b / b,a) so that drift in the machine's speed hits both alike.
                List<ServerKind> order = new ArrayList<>(kinds);
                if ( r % 2 == 1 )
                    Collections.reverse(order);
                for ( ServerKind k : order ) {
                    if ( keptForFeed != null ) {
                        keptForFeed.close();
                        deleteUnlessKept(keptForFeed.dir);
                        keptForFeed = null;
                    }
                    ChildServer s = ChildServer.start(k, "bulk-" + k.id + "-" + (r + 1), opt.dir().resolve("bulk-" + (r + 1) + "-" + k.id),
                                                      opt.serverJvm(), load.http);
                    try {
                        if ( opt.bulkWarmup() > 0 )
                            load.upload(s, "warm", opt.bulkWarmup());
                        s.command("reset");
                        double secs = load.upload(s, "bulk", opt.bulkTriples());
                        String[] peak = s.command("peak");
                        Bulk b = new Bulk(k, r + 1, secs, Long.parseLong(peak[0]), Long.parseLong(peak[1]), Long.parseLong(peak[2]),
                                          Long.parseLong(peak[3]));
                        results.add(b);
                        long held = load.count(s);
                        progress(String.format(Locale.ROOT, "  round %d %-15s %6.1f s  %8.0f triples/s  peak heap %5d MB (old gen %d MB, max after GC %d MB, %d GCs), %d triples held",
                                               r + 1, k.id, secs, opt.bulkTriples() / secs, b.peakHeap() / MB, b.oldPeak() / MB,
                                               b.maxAfterGc() / MB, b.gcs(), held));
                        if ( held != opt.bulkTriples() + opt.bulkWarmup() )
                            throw new IllegalStateException(s.label + ": holds " + held + " triples, expected " + (opt.bulkTriples() + opt.bulkWarmup()));
                    } catch (Exception | Error ex) {
                        s.close();
                        throw ex;
                    }
                    if ( k == ServerKind.CAPTURE ) {
                        keptForFeed = s;  // the last one stays up for the feed read
                    } else {
                        s.close();
                        deleteUnlessKept(s.dir);
                    }
                }
            }
            reportBulk(kinds, results);
            if ( keptForFeed != null && opt.parts().contains("feed") )
                new FeedReadPart(opt, load, report).feed(keptForFeed, "after the bulk upload (warm-up and bulk patches)");
        } finally {
            if ( keptForFeed != null )
                keptForFeed.close();
        }
    }

    private void reportBulk(List<ServerKind> kinds, List<Bulk> results) {
        ServerKind base = kinds.contains(ServerKind.PLAIN) ? ServerKind.PLAIN : kinds.get(0);
        report.out("Part 2: bulk upload, POST /ds/data?default of " + opt.bulkTriples() + " N-Triples (one transaction), "
                   + opt.bulkRounds() + " fresh server(s) per configuration, -Xmx" + opt.heap());
        report.out("  each server first took a " + opt.bulkWarmup() + "-triple warm-up upload; peak heap = sum of the heap pools' peak use during the"
                   + " upload, after a full GC and a reset just before it");
        report.out("");
        report.out(String.format(Locale.ROOT, "  | %-15s | %5s | %9s | %11s | %14s | %12s | %15s |", "server", "round", "seconds", "triples/s",
                                 "peak heap MB", "old gen MB", "max after GC MB"));
        report.out("  |-----------------|-------|-----------|-------------|----------------|--------------|-----------------|");
        for ( Bulk b : results )
            report.out(String.format(Locale.ROOT, "  | %-15s | %5d | %9.1f | %11.0f | %14d | %12d | %15d |", b.kind().id, b.round(), b.seconds(),
                                     opt.bulkTriples() / b.seconds(), b.peakHeap() / MB, b.oldPeak() / MB, b.maxAfterGc() / MB));
        report.out("");
        double baseT = median(results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::seconds).toArray());
        double baseMin = results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::seconds).min().orElse(Double.NaN);
        double baseH = median(results.stream().filter(b -> b.kind() == base).mapToDouble(Bulk::peakHeap).toArray());
        for ( ServerKind k : kinds ) {
            if ( k == base )
                continue;
            double t = median(results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::seconds).toArray());
            double tMin = results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::seconds).min().orElse(Double.NaN);
            double h = median(results.stream().filter(b -> b.kind() == k).mapToDouble(Bulk::peakHeap).toArray());
            boolean targets = k == ServerKind.CAPTURE && base == ServerKind.PLAIN;
            report.out(String.format(Locale.ROOT, "  %s/%s throughput ratio (%s time / %s time): %.3f of the medians%s, %.3f of the fastest uploads",
                                     k.id, base.id, base.id, k.id, baseT / t,
                                     targets ? (baseT / t >= 0.90 ? " (target >= 0.90: met)" : " (target >= 0.90: NOT met)") : "", baseMin / tMin));
            report.out(String.format(Locale.ROOT, "  %s/%s peak heap (medians): %.0f MB vs %.0f MB, %+.0f MB%s",
                                     k.id, base.id, h / MB, baseH / MB, (h - baseH) / MB,
                                     targets ? (h - baseH <= 256 * MB ? " (target <= +256 MB: met)" : " (target <= +256 MB: NOT met)") : ""));
        }
        report.out("  With few uploads per server either ratio can be off on a noisy machine: compare runs (see docs/benchmarks.md).");
        report.out("");
    }

    private void deleteUnlessKept(Path dir) {
        if ( !opt.keep() )
            BenchFiles.deleteTree(dir);
    }
}
