package org.fusekicdc.bench;

import static org.fusekicdc.bench.LiveBenchQueries.PREDICATES;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What {@link LiveQueryBench} notes to compute latencies: the writer's commit end times and the
 * notifications it expects, by version; the consumer's receipts, by subscription.
 */
final class LiveLatencies {
    // Writer's record: commit end time by version, expected notifications (version, subscription).
    private long[] commitEnd = new long[1 << 16];
    private int[] predMask = new int[1 << 16];           // predicates a version touched, bit j for :p_j
    final List<long[]> expected = new ArrayList<>();
    // Consumer's record: per subscription, (version, receive time) of each update.
    private final List<long[]>[] receipts;

    @SuppressWarnings("unchecked")
    LiveLatencies(int subscriptions) {
        receipts = new List[subscriptions];
        for ( int i = 0 ; i < subscriptions ; i++ )
            receipts[i] = new ArrayList<>();
    }

    /** Version {@code v} committed at {@code committed}, with the changes {@code ops} (i, j, delete?1:0, extra id). */
    void committed(long v, long committed, List<long[]> ops) {
        if ( v >= commitEnd.length ) {
            commitEnd = Arrays.copyOf(commitEnd, commitEnd.length * 2);
            predMask = Arrays.copyOf(predMask, predMask.length * 2);
        }
        commitEnd[(int)v] = committed;
        for ( long[] op : ops )
            predMask[(int)v] |= 1 << op[1];
    }

    /** Called by the consumer only. */
    void received(int subscription, long version, long now) {
        receipts[subscription].add(new long[] {version, now});
    }

    /**
     * For each expected notification of a version in [fromVersion, toVersion), receive time minus commit time of the
     * first update at or after the commit.
     */
    long[] exact(long fromVersion, long toVersion) {
        List<Long> out = new ArrayList<>();
        for ( long[] e : expected ) {
            if ( e[0] < fromVersion || e[0] >= toVersion )
                continue;
            for ( long[] r : receipts[(int)e[1]] ) {
                if ( r[0] >= e[0] ) {
                    out.add(r[1] - commitEnd[(int)e[0]]);
                    break;
                }
            }
        }
        return out.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** For every update received of a version in [firstV, lastV], the time since the commit of its version; sorted. */
    long[] all(long firstV, long lastV) {
        List<Long> all = new ArrayList<>();
        for ( List<long[]> rs : receipts )
            for ( long[] r : rs )
                if ( r[0] >= firstV && r[0] <= lastV )
                    all.add(r[1] - commitEnd[(int)r[0]]);
        return all.stream().mapToLong(Long::longValue).sorted().toArray();
    }

    /** Per engine step (version, commits covered, ...): how many of the {@code predBound} queries its commits' predicates affect; sorted. */
    long[] predTouched(List<long[]> steps, int[] predBound) {
        return steps.stream().mapToLong(st -> {
            int m = 0;
            for ( long v = st[0] - st[1] + 1 ; v <= st[0] ; v++ )
                if ( v >= 0 && v < predMask.length )
                    m |= predMask[(int)v];
            int n = 0;
            for ( int j = 0 ; j < PREDICATES ; j++ )
                if ( (m & (1 << j)) != 0 )
                    n += predBound[j];
            return n;
        }).sorted().toArray();
    }

    static long max(long[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length - 1];
    }

    static long pct(long[] sorted, double p) {
        if ( sorted.length == 0 )
            return 0;
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int)Math.ceil(p * sorted.length) - 1))];
    }
}
