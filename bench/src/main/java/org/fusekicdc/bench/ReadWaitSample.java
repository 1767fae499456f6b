package org.fusekicdc.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's reads at a known version (the continuous and live queries' reads), from its
 * Prometheus endpoint ({@code /$/metrics}, on in the server the benchmarks run): how many, how
 * long they took to open, how many opened during a store commit, how many waited for a publish. One sample;
 * {@link #since} describes what happened between two.
 */
record ReadWaitSample(double reads, double openSeconds, double duringCommit, double waited, TreeMap<Double, Double> buckets) {
    private static final Pattern LINE = Pattern.compile("(?m)^(fusekicdc_read_open_seconds_count|fusekicdc_read_open_seconds_sum"
                                                        + "|fusekicdc_read_open_seconds_bucket|fusekicdc_read_during_commit_total|fusekicdc_read_waited_total)\\{([^}]*)\\} (\\S+)$");
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");
    // Opening a read takes tens of microseconds when nothing holds it up.
    private static final double SLOW_SECONDS = 0.001;

    static ReadWaitSample scrape(HttpClient http, ChildServer server) throws IOException, InterruptedException {
        URI metrics = URI.create(server.base()).resolve("/$/metrics");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString());
        if ( r.statusCode() != 200 )
            throw new IOException("GET " + metrics + ": " + r.statusCode() + " (are the server's metrics on?)");
        double reads = 0, seconds = 0, duringCommit = 0, waited = 0;
        TreeMap<Double, Double> buckets = new TreeMap<>();
        Matcher m = LINE.matcher(r.body());
        while ( m.find() ) {
            if ( !m.group(2).contains("dataset=\"ds\"") )
                continue;
            double v = Double.parseDouble(m.group(3));
            switch (m.group(1)) {
                case "fusekicdc_read_open_seconds_count" -> reads = v;
                case "fusekicdc_read_open_seconds_sum" -> seconds = v;
                case "fusekicdc_read_during_commit_total" -> duringCommit = v;
                case "fusekicdc_read_waited_total" -> waited = v;
                default -> {
                    Matcher le = LE.matcher(m.group(2));
                    if ( le.find() )
                        buckets.put(le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1)), v);
                }
            }
        }
        return new ReadWaitSample(reads, seconds, duringCommit, waited, buckets);
    }

    /** The reads between {@code earlier} and this sample, as one line. */
    String since(ReadWaitSample earlier) {
        double n = reads - earlier.reads;
        Map.Entry<Double, Double> fast = buckets.ceilingEntry(SLOW_SECONDS);
        double slow = fast == null ? 0 : n - (fast.getValue() - earlier.buckets.getOrDefault(fast.getKey(), 0.0));
        return String.format(Locale.ROOT, "%,.0f reads; %,.0f opened during a store commit; %,.0f waited for a publish; opening took %.1f ms in all, over %s ms for %,.0f reads (%.1f %%);"
                                          + " p50 <= %s ms, p99 <= %s ms (bounds of the histogram's buckets)",
                             n, duringCommit - earlier.duringCommit, waited - earlier.waited, 1000 * (openSeconds - earlier.openSeconds), fast == null ? "-" : ms(fast.getKey()), slow,
                             n == 0 ? 0 : 100 * slow / n, bound(earlier, n, 0.50), bound(earlier, n, 0.99));
    }

    /** The smallest bucket bound under which the fraction {@code q} of the reads since {@code earlier} lie. */
    private String bound(ReadWaitSample earlier, double n, double q) {
        if ( n == 0 )
            return "-";
        for ( Map.Entry<Double, Double> b : buckets.entrySet() ) {
            if ( b.getValue() - earlier.buckets.getOrDefault(b.getKey(), 0.0) >= q * n )
                return ms(b.getKey());
        }
        return "inf";
    }

    private static String ms(double seconds) {
        return Double.isInfinite(seconds) ? "inf" : String.format(Locale.ROOT, "%.3f", 1000 * seconds);
    }
}
