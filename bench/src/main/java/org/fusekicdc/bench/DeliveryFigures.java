package org.fusekicdc.bench;

import java.util.Arrays;
import java.util.Locale;

/** The figures {@link SinkDeliveryBench} reports: stage times between two noted instants, percentiles, formats. */
final class DeliveryFigures {
    private DeliveryFigures() {}

    static String stageText(double[] d) {
        return d.length == 0 ? "-" : f2(pct(d, 50)) + " / " + f2(pct(d, 99)) + " / " + f2(d[d.length - 1]);
    }

    /** The times of the stage from {@code from[v]} to {@code to[v]} in ms, sorted, for the versions where both are known. */
    static double[] stage(long[] from, long[] to, int firstVersion, int n) {
        double[] d = new double[n];
        int m = 0;
        for ( int j = 0 ; j < n ; j++ ) {
            int v = firstVersion + j;
            if ( from[v] != 0 && to[v] != 0 )
                d[m++] = (to[v] - from[v]) / 1e6;
        }
        d = Arrays.copyOf(d, m);
        Arrays.sort(d);
        return d;
    }

    static double pct(double[] sorted, double p) {
        if ( sorted.length == 0 )
            return Double.NaN;
        int i = (int)Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    static String ms(double d) {
        return Double.isInfinite(d) ? "not delivered" : f2(d);
    }

    static String f1(double d) {
        return String.format(Locale.ROOT, "%.1f", d);
    }

    static String f2(double d) {
        return String.format(Locale.ROOT, "%.2f", d);
    }

    /**
     * Splits each version's commit-to-sink time in two: the time it waited behind earlier
     * versions still being delivered (queueing: the runner was busy), and the time the runner
     * did not deliver anything although the version was committed (wake-up, log read, cursor
     * write). Also the runner's busy fraction and the most versions waiting at once.
     */
    static String waitBreakdown(long[] committed, long[] start, long[] end, int firstVersion, int n) {
        double[] queued = new double[n];
        double[] gap = new double[n];
        int m = 0;
        long busy = 0;
        int maxBacklog = 0;
        int u = firstVersion;
        for ( int j = 0 ; j < n ; j++ ) {
            int v = firstVersion + j;
            if ( committed[v] == 0 || start[v] == 0 || end[v - 1] == 0 )
                continue;
            long ready = Math.max(committed[v], end[v - 1]);
            queued[m] = Math.max(0, Math.min(start[v], end[v - 1]) - committed[v]) / 1e6;
            gap[m] = Math.max(0, start[v] - ready) / 1e6;
            m++;
            busy += end[v] - start[v];
            while ( u + 1 < committed.length && committed[u + 1] != 0 && committed[u + 1] <= start[v] )
                u++;
            maxBacklog = Math.max(maxBacklog, u - v + 1);
        }
        queued = Arrays.copyOf(queued, m);
        gap = Arrays.copyOf(gap, m);
        Arrays.sort(queued);
        Arrays.sort(gap);
        // The busy period of the longest wait: from the version that found the runner idle to the longest-waiting one.
        int worst = firstVersion;
        for ( int j = 0 ; j < n ; j++ ) {
            int v = firstVersion + j;
            if ( committed[v] != 0 && start[v] != 0 && start[v] - committed[v] > start[worst] - committed[worst] )
                worst = v;
        }
        int from = worst;
        while ( from > firstVersion && end[from - 1] > committed[from] )
            from--;
        double[] busyDeliver = new double[worst - from + 1];
        for ( int v = from ; v <= worst ; v++ )
            busyDeliver[v - from] = (end[v] - start[v]) / 1e6;
        Arrays.sort(busyDeliver);
        double sum = Arrays.stream(busyDeliver).sum();
        String episode = String.format(Locale.ROOT, "; the longest wait (version %d, %.1f ms) ends a busy spell of %d versions from version %d:"
                                                    + " their deliver ms mean %.2f p50 %.2f p99 %.2f max %.2f, the offered period %.2f",
                                       worst, (start[worst] - committed[worst]) / 1e6, worst - from + 1, from, sum / busyDeliver.length,
                                       pct(busyDeliver, 50), pct(busyDeliver, 99), busyDeliver[busyDeliver.length - 1],
                                       (committed[firstVersion + n - 1] - committed[firstVersion]) / 1e6 / (n - 1));
        long window = end[firstVersion + n - 1] - start[firstVersion];
        return String.format(Locale.ROOT, "waiting behind earlier versions ms p50 %.2f p99 %.2f max %.2f; runner not delivering while the version waited"
                                          + " ms p50 %.2f p99 %.2f max %.2f; runner busy %.0f %% of the measured part; at most %d versions waiting",
                             pct(queued, 50), pct(queued, 99), m == 0 ? 0 : queued[m - 1], pct(gap, 50), pct(gap, 99), m == 0 ? 0 : gap[m - 1],
                             window <= 0 ? 0 : 100.0 * busy / window, maxBacklog) + episode;
    }
}
