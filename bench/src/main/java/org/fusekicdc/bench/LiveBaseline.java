package org.fusekicdc.bench;

import static org.fusekicdc.bench.BenchReport.progress;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

import org.apache.jena.graph.Node;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.apache.jena.system.Txn;

/**
 * The baseline of {@link LiveQueryBench}: every subscribed query evaluated once on a snapshot,
 * as the engine evaluates one, some rounds over: the cost of re-running every query on every
 * commit.
 */
final class LiveBaseline {
    final double[] wall;
    final double[] cpu;
    long rows;
    // CPU ms by query shape, last round.
    final Map<String, Double> shapeCpu = new TreeMap<>();

    private LiveBaseline(int rounds) {
        this.wall = new double[rounds];
        this.cpu = new double[rounds];
    }

    static LiveBaseline run(DatasetGraph dsg, List<String> queries, List<String> shapes, int rounds) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        LiveBaseline b = new LiveBaseline(rounds);
        List<Query> parsed = queries.stream().map(QueryFactory::create).toList();
        for ( int r = 0 ; r < rounds ; r++ ) {
            long c0 = threads.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            boolean last = r == rounds - 1;
            b.rows = Txn.calculateRead(dsg, () -> {
                long n = 0;
                for ( int i = 0 ; i < parsed.size() ; i++ ) {
                    long q0 = last ? threads.getCurrentThreadCpuTime() : 0;
                    n += evaluate(dsg, parsed.get(i));
                    if ( last )
                        b.shapeCpu.merge(shapes.get(i), (threads.getCurrentThreadCpuTime() - q0) / 1e6, Double::sum);
                }
                return n;
            });
            b.wall[r] = (System.nanoTime() - w0) / 1e6;
            b.cpu[r] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
            progress(String.format(Locale.ROOT, "baseline round %d: all %d queries in %.0f ms (CPU %.0f ms), %d rows", r + 1, parsed.size(), b.wall[r],
                                   b.cpu[r], b.rows));
        }
        return b;
    }

    /** As the engine evaluates a query: rows projected and collected into a multiset. */
    private static long evaluate(DatasetGraph dsg, Query q) {
        try (QueryExec qe = QueryExec.dataset(dsg).query(q).build()) {
            RowSet rs = qe.select();
            List<Var> vars = rs.getResultVars();
            Map<Binding, Integer> m = new HashMap<>();
            while ( rs.hasNext() ) {
                Binding b = rs.next();
                BindingBuilder bb = Binding.builder();
                for ( Var v : vars ) {
                    Node n = b.get(v);
                    if ( n != null )
                        bb.add(v, n);
                }
                m.merge(bb.build(), 1, Integer::sum);
            }
            return m.size();
        }
    }
}
