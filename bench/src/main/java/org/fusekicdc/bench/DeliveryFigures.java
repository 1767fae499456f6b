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
}
