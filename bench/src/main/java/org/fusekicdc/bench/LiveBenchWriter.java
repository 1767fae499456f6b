package org.fusekicdc.bench;

import static org.fusekicdc.bench.LiveBenchQueries.PREDICATES;
import static org.fusekicdc.bench.LiveBenchQueries.cls;
import static org.fusekicdc.bench.LiveBenchQueries.key;
import static org.fusekicdc.bench.LiveBenchQueries.mixBits;
import static org.fusekicdc.bench.LiveBenchQueries.p;
import static org.fusekicdc.bench.LiveBenchQueries.s;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * The writer of {@link LiveQueryBench}: one small transaction per call (1-5 quads, each an
 * insert of a new triple or a delete of a loaded one, a share {@code hot} of them on a subject
 * and predicate a {@code subject} subscription watches), noting its commit and, when measured,
 * the notifications it must cause.
 */
final class LiveBenchWriter {
    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final LiveBenchQueries data;
    private final LiveLatencies latencies;
    private final long seed;
    private final int subjects;
    private final int classes;
    private final double hot;
    private final SplittableRandom rnd;
    private final Set<Long> deletedLoaded = new HashSet<>();
    private long extraCounter = 0;
    private long lastVersion = 0;

    LiveBenchWriter(CapturingDatasetGraph dsg, ChangeLog log, LiveBenchQueries data, LiveLatencies latencies, long seed, int subjects,
                    int classes, double hot) {
        this.dsg = dsg;
        this.log = log;
        this.data = data;
        this.latencies = latencies;
        this.seed = seed;
        this.subjects = subjects;
        this.classes = classes;
        this.hot = hot;
        this.rnd = new SplittableRandom(seed + 1);
    }

    /** The version of the last commit. */
    long lastVersion() {
        return lastVersion;
    }

    /** Commit one transaction; returns how many quads it changed. */
    int commit(boolean measured) {
        int nQuads = 1 + rnd.nextInt(5);
        List<long[]> ops = new ArrayList<>();  // (i, j, delete?1:0, extra id)
        dsg.begin(TxnType.WRITE);
        try {
            for ( int q = 0 ; q < nQuads ; q++ ) {
                long i;
                int j;
                if ( rnd.nextDouble() < hot && !data.subjectPairs.isEmpty() ) {
                    long[] pair = data.subjectPairs.get(rnd.nextInt(data.subjectPairs.size()));
                    i = pair[0];
                    j = (int)pair[1];
                } else {
                    i = rnd.nextInt(subjects);
                    j = rnd.nextInt(PREDICATES);
                }
                if ( rnd.nextBoolean() && deletedLoaded.add(key(i, j)) ) {
                    dsg.delete(Quad.defaultGraphIRI, s(i), p(j), data.loaded(i, j));
                    ops.add(new long[] {i, j, 1, -1});
                } else {
                    long x = extraCounter++;
                    Node o;
                    long extraClass = -1;
                    if ( j == 0 ) {
                        // A class the subject does not have yet.
                        extraClass = (mixBits(seed * 17 + x) >>> 1) % classes;
                        if ( cls(extraClass).equals(data.loaded(i, 0)) )
                            extraClass = (extraClass + 1) % classes;
                        o = cls(extraClass);
                    } else if ( j <= 3 )
                        o = s(rnd.nextInt(subjects));
                    else
                        o = NodeFactory.createLiteralDT(Long.toString(1_000_000 + x), XSDDatatype.XSDinteger);  // never loaded
                    dsg.add(Quad.defaultGraphIRI, s(i), p(j), o);
                    ops.add(new long[] {i, j, 0, extraClass});
                }
            }
            dsg.commit();
        } finally {
            dsg.end();
        }
        long committed = System.nanoTime();
        long v = log.publishedVersion();
        latencies.committed(v, committed, ops);
        lastVersion = v;
        if ( measured ) {
            // Which subscriptions this commit changes, as far as the writer knows for sure.
            Set<Integer> changed = new LinkedHashSet<>();
            for ( long[] op : ops ) {
                Integer sub = data.subjectSub.get(key(op[0], op[1]));
                if ( sub != null )
                    changed.add(sub);
                if ( op[1] == 0 ) {
                    Integer c = op[2] == 1 ? data.classSub.get((int)((mixBits(seed * 31 + key(op[0], 0)) >>> 1) % classes))
                        : op[3] >= 0 ? data.classSub.get((int)op[3]) : null;
                    if ( c != null && op[2] == 1 )
                        changed.add(c);
                    // An added class: changes the class query unless the subject was given that class before (rare; not tracked).
                    if ( c != null && op[2] == 0 )
                        changed.add(c);
                }
            }
            for ( int sub : changed )
                latencies.expected.add(new long[] {v, sub});
        }
        return nQuads;
    }
}
