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
 * One histogram of dataset {@code ds} as the server's Prometheus endpoint ({@code /$/metrics})
 * gives it: count, sum and cumulative buckets by upper bound in seconds. Two samples give what
 * happened between them ({@link #minus}).
 */
record MetricHistogram(double count, double sum, TreeMap<Double, Double> buckets) {
    private static final Pattern LE = Pattern.compile("le=\"([^\"]+)\"");

    /** The server's metrics text. */
    static String scrape(HttpClient http, ChildServer server) throws IOException, InterruptedException {
        URI metrics = URI.create(server.base()).resolve("/$/metrics");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).GET().build(), HttpResponse.BodyHandlers.ofString());
        if ( r.statusCode() != 200 )
            throw new IOException("GET " + metrics + ": " + r.statusCode() + " (are the server's metrics on?)");
        return r.body();
    }

    /** Histogram {@code name} (e.g. {@code fusekicdc_store_commit_seconds}) of dataset {@code ds} in a metrics text. */
    static MetricHistogram of(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(_count|_sum|_bucket)\\{([^}]*)\\} (\\S+)$").matcher(metrics);
        double count = 0, sum = 0;
        TreeMap<Double, Double> buckets = new TreeMap<>();
        while ( m.find() ) {
            if ( !m.group(2).contains("dataset=\"ds\"") )
                continue;
            double v = Double.parseDouble(m.group(3));
            switch (m.group(1)) {
                case "_count" -> count = v;
                case "_sum" -> sum = v;
                default -> {
                    Matcher le = LE.matcher(m.group(2));
                    if ( le.find() )
                        buckets.put(le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1)), v);
                }
            }
        }
        return new MetricHistogram(count, sum, buckets);
    }

    /** What was recorded after {@code earlier}. */
    MetricHistogram minus(MetricHistogram earlier) {
        TreeMap<Double, Double> b = new TreeMap<>();
        buckets.forEach((le, v) -> b.put(le, v - earlier.buckets.getOrDefault(le, 0.0)));
        return new MetricHistogram(count - earlier.count, sum - earlier.sum, b);
    }

    /** How many values lie above {@code seconds} (counted at the first bucket bound at or above it), and that bound. */
    Map.Entry<Double, Double> above(double seconds) {
        Map.Entry<Double, Double> at = buckets.ceilingEntry(seconds);
        return at == null ? null : Map.entry(at.getKey(), count - at.getValue());
    }

    /** The smallest bucket bound, in ms, under which the fraction {@code q} of the values lie; "-" for none. */
    String boundMillis(double q) {
        if ( count == 0 )
            return "-";
        for ( Map.Entry<Double, Double> b : buckets.entrySet() )
            if ( b.getValue() >= q * count )
                return millis(b.getKey());
        return "inf";
    }

    /** "n values, mean m ms, p50 <= x ms, p99 <= y ms". */
    String summary() {
        return String.format(Locale.ROOT, "%,.0f, mean %.2f ms, p50 <= %s ms, p99 <= %s ms", count, count == 0 ? 0 : 1000 * sum / count, boundMillis(0.50),
                             boundMillis(0.99));
    }

    static String millis(double seconds) {
        return Double.isInfinite(seconds) ? "inf" : String.format(Locale.ROOT, "%.3f", 1000 * seconds);
    }
}
