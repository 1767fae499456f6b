package org.fusekicdc.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/** The statistics the benchmarks report: medians, quantiles, percentiles and bootstrap intervals. */
final class BenchStats {
    private BenchStats() {}

    static double median(double[] xs) {
        if ( xs.length == 0 )
            return Double.NaN;
        double[] s = xs.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** The {@code q} quantile (0..1), interpolating between the two nearest values. */
    static double quantile(double[] xs, double q) {
        double[] s = xs.clone();
        Arrays.sort(s);
        double pos = q * (s.length - 1);
        int lo = (int)Math.floor(pos);
        int hi = Math.min(s.length - 1, lo + 1);
        return s[lo] + (pos - lo) * (s[hi] - s[lo]);
    }

    /** Percentile bootstrap 95% interval of the median (fixed seed, so reruns on the same data agree). */
    static double[] bootstrapMedianCi(double[] xs) {
        Random rnd = new Random(1);
        int b = 2000;
        double[] meds = new double[b];
        double[] sample = new double[xs.length];
        for ( int i = 0 ; i < b ; i++ ) {
            for ( int j = 0 ; j < xs.length ; j++ )
                sample[j] = xs[rnd.nextInt(xs.length)];
            meds[i] = median(sample);
        }
        return new double[] {quantile(meds, 0.025), quantile(meds, 0.975)};
    }

    /** The {@code p} (0..1) percentile of sorted values, nearest rank; NaN when there are none. */
    static double pct(long[] sorted, double p) {
        if ( sorted.length == 0 )
            return Double.NaN;
        return sorted[Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1)];
    }

    /** The one-minute load average of the machine. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException ex) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }
}
