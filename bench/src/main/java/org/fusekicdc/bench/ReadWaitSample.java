package org.fusekicdc.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server's reads at a known version (the continuous and live queries' reads), and its commits'
 * two durable steps, from its Prometheus endpoint ({@code /$/metrics}, on in the server the
 * benchmarks run): how many reads, how long they took to open, how many opened during a store
 * commit, how many waited for a publish; how long the log append and the store's commit took.
 * One sample; {@link #since} describes what happened between two.
 */
record ReadWaitSample(MetricHistogram reads, double duringCommit, double waited, MetricHistogram logAppend, MetricHistogram storeCommit) {
    private static final Pattern COUNTER = Pattern.compile("(?m)^(fusekicdc_read_during_commit_total|fusekicdc_read_waited_total)\\{([^}]*)\\} (\\S+)$");
    // Opening a read takes tens of microseconds when nothing holds it up.
    private static final double SLOW_SECONDS = 0.001;

    static ReadWaitSample scrape(HttpClient http, ChildServer server) throws IOException, InterruptedException {
        String metrics = MetricHistogram.scrape(http, server);
        double duringCommit = 0, waited = 0;
        Matcher m = COUNTER.matcher(metrics);
        while ( m.find() ) {
            if ( !m.group(2).contains("dataset=\"ds\"") )
                continue;
            if ( m.group(1).equals("fusekicdc_read_during_commit_total") )
                duringCommit = Double.parseDouble(m.group(3));
            else
                waited = Double.parseDouble(m.group(3));
        }
        return new ReadWaitSample(MetricHistogram.of(metrics, "fusekicdc_read_open_seconds"), duringCommit, waited,
                                  MetricHistogram.of(metrics, "fusekicdc_log_append_seconds"), MetricHistogram.of(metrics, "fusekicdc_store_commit_seconds"));
    }

    /** The reads between {@code earlier} and this sample, as one line. */
    String since(ReadWaitSample earlier) {
        MetricHistogram r = reads.minus(earlier.reads);
        Map.Entry<Double, Double> slow = r.above(SLOW_SECONDS);
        return String.format(Locale.ROOT, "%,.0f reads; %,.0f opened during a store commit; %,.0f waited for a publish; opening took %.1f ms in all, over %s ms for %,.0f reads (%.1f %%);"
                                          + " p50 <= %s ms, p99 <= %s ms (bounds of the histogram's buckets)",
                             r.count(), duringCommit - earlier.duringCommit, waited - earlier.waited, 1000 * r.sum(),
                             slow == null ? "-" : MetricHistogram.millis(slow.getKey()), slow == null ? 0 : slow.getValue(),
                             r.count() == 0 || slow == null ? 0 : 100 * slow.getValue() / r.count(), r.boundMillis(0.50), r.boundMillis(0.99));
    }

    /** The commits between {@code earlier} and this sample: the two durable steps a window ending during a commit waits for. */
    String commitsSince(ReadWaitSample earlier) {
        return "log append (commit-time stamp to forced) " + logAppend.minus(earlier.logAppend).summary() + "; the store's commit after it "
               + storeCommit.minus(earlier.storeCommit).summary();
    }
}
