package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;
import static org.fusekicdc.bench.BenchStats.bootstrapMedianCi;
import static org.fusekicdc.bench.BenchStats.loadAverage;
import static org.fusekicdc.bench.BenchStats.median;
import static org.fusekicdc.bench.BenchStats.pct;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Part 4 of {@link CaptureOverheadBench}: throughput under concurrent writers. For each client
 * count, rounds of one turn per server, the order alternating (a,b / b,a), all clients writing
 * small transactions at once; each round gives a pair, whose ratio (server / first server) is
 * reported as the median over the rounds with a bootstrap 95% interval. TDB2 admits one writer
 * at a time, so the ratio shows what capture adds inside that serial stretch.
 */
final class ConcurrentWritersPart {
    private static final double TARGET = 0.95;

    private final CaptureBenchOptions opt;
    private final HttpLoad load;
    private final BenchReport report;

    ConcurrentWritersPart(CaptureBenchOptions opt, HttpLoad load, BenchReport report) {
        this.opt = opt;
        this.load = load;
        this.report = report;
    }

    private record Step(int clients, List<double[]> rates, List<long[]> latencies, String loadBefore, String loadAfter) {}

    void run() throws Exception {
        List<ServerKind> kinds = opt.concurrentConfigs().stream().filter(k -> k != ServerKind.JENA_PATCH_LOG).toList();
        int maxClients = opt.concurrentClients().stream().mapToInt(Integer::intValue).max().orElse(1);
        progress("Part 4: concurrent writers, servers " + kinds.stream().map(k -> k.id).toList() + ", clients " + opt.concurrentClients());
        List<ChildServer> servers = new ArrayList<>();
        List<SmallTxnWorkload> workloads = new ArrayList<>();
        try {
            for ( ServerKind k : kinds ) {
                servers.add(ChildServer.start(k, "concurrent-" + k.id, opt.dir().resolve("concurrent-" + k.id), opt.serverJvm(), load.http));
                workloads.add(new SmallTxnWorkload(opt.seed(), opt.deleteFraction(), 50 + 2 * maxClients));
            }
            for ( int i = 0 ; i < kinds.size() ; i++ ) {
                HttpLoad.Round r = load.runTurn(servers.get(i), workloads.get(i), maxClients, opt.warmup(), 0);
                progress(String.format(Locale.ROOT, "  warm-up %-15s %8.1f txn/s", kinds.get(i).id, r.txnPerSec()));
            }
            List<Step> steps = new ArrayList<>();
            for ( int clients : opt.concurrentClients() )
                steps.add(step(clients, servers, workloads));
            report(kinds, steps);
        } finally {
            servers.forEach(ChildServer::close);
        }
    }

    private Step step(int clients, List<ChildServer> servers, List<SmallTxnWorkload> workloads) throws Exception {
        int n = servers.size();
        List<double[]> rates = new ArrayList<>();
        List<List<long[]>> lats = new ArrayList<>();
        for ( int i = 0 ; i < n ; i++ ) {
            rates.add(new double[opt.concurrentRounds()]);
            lats.add(new ArrayList<>());
        }
        String before = loadAverage();
        for ( int r = 0 ; r < opt.concurrentRounds() ; r++ ) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %d client(s), round %d/%d:", clients, r + 1, opt.concurrentRounds()));
            for ( int j = 0 ; j < n ; j++ ) {
                int i = r % 2 == 0 ? j : n - 1 - j;
                HttpLoad.Round res = load.runTurn(servers.get(i), workloads.get(i), clients, 0, opt.concurrentTurnSeconds());
                rates.get(i)[r] = res.txnPerSec();
                lats.get(i).add(res.latencyNanos());
                line.append(String.format(Locale.ROOT, "  %s %.1f", servers.get(i).kind.id, res.txnPerSec()));
            }
            progress(line.append(" txn/s").toString());
        }
        List<long[]> latencies = lats.stream().map(l -> l.stream().flatMapToLong(Arrays::stream).sorted().toArray()).toList();
        return new Step(clients, rates, latencies, before, loadAverage());
    }

    private void report(List<ServerKind> kinds, List<Step> steps) {
        ServerKind base = kinds.get(0);
        report.out("Part 4: concurrent writers (SPARQL Update over HTTP, 1-10 quads each, " + Math.round(opt.deleteFraction() * 100) + "% DELETE DATA)");
        report.out(String.format(Locale.ROOT, "  per client count %d paired rounds of %.1f s per server (order alternating), after a warm-up of %d"
                                 + " transactions per server; seed %d", opt.concurrentRounds(), opt.concurrentTurnSeconds(), opt.warmup(), opt.seed()));
        report.out("");
        report.out(String.format(Locale.ROOT, "  | %7s | %-15s | %12s | %8s | %8s | %24s | %11s |", "clients", "server", "median txn/s", "p50 ms",
                                 "p99 ms", "paired ratio [95% CI]", "load avg"));
        report.out("  |---------|-----------------|--------------|----------|----------|--------------------------|-------------|");
        for ( Step s : steps ) {
            double[] baseRates = s.rates().get(0);
            for ( int i = 0 ; i < kinds.size() ; i++ ) {
                double[] rs = s.rates().get(i);
                String ratio = "-";
                if ( i > 0 ) {
                    double[] paired = new double[rs.length];
                    for ( int r = 0 ; r < rs.length ; r++ )
                        paired[r] = rs[r] / baseRates[r];
                    double[] ci = bootstrapMedianCi(paired);
                    ratio = String.format(Locale.ROOT, "%.3f [%.3f-%.3f]", median(paired), ci[0], ci[1]);
                }
                long[] lat = s.latencies().get(i);
                report.out(String.format(Locale.ROOT, "  | %7d | %-15s | %12.1f | %8.2f | %8.2f | %24s | %11s |", s.clients(), kinds.get(i).id,
                                         median(rs), pct(lat, 0.50) / 1e6, pct(lat, 0.99) / 1e6, ratio, s.loadBefore() + " / " + s.loadAfter()));
            }
        }
        report.out("");
        report.out("  paired ratio = median over the rounds of (txn/s / " + base.id + "'s txn/s in the same round), with a bootstrap 95% interval;"
                   + String.format(Locale.ROOT, " target for capture: >= %.2f at every client count.", TARGET));
        report.out("  load avg = the machine's one-minute load average before / after the client count's rounds.");
        report.out("");
    }
}
