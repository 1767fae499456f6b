package org.fusekicdc.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.vocabulary.RDF;

/**
 * The data and the queries of {@link LiveQueryBench}: the generated triples of each subject and
 * predicate, and the distinct subscribed queries with what the writer knows about them.
 */
final class LiveBenchQueries {
    static final String NS = "http://example/";
    static final String PREFIX = "PREFIX : <" + NS + ">\n";
    static final int PREDICATES = 10;
    static final Node TYPE;
    static {
        org.apache.jena.sys.JenaSystem.init();  // before any vocabulary class: Jena initialises in a fixed order
        TYPE = RDF.type.asNode();
    }

    private final long seed;
    private final int subjects;
    private final int classes;
    // Text and shape per subscription index; what the writer knows about them.
    final List<String> queries = new ArrayList<>();
    final List<String> shapes = new ArrayList<>();
    final Map<Long, Integer> subjectSub = new HashMap<>();  // key(i, j) -> subscription
    final Map<Integer, Integer> classSub = new HashMap<>(); // class -> subscription
    final List<long[]> subjectPairs = new ArrayList<>();
    final int[] predBound = new int[PREDICATES]; // filter and join queries with a pattern filed under :p_j

    LiveBenchQueries(long seed, int subjects, int classes) {
        this.seed = seed;
        this.subjects = subjects;
        this.classes = classes;
    }

    static long key(long i, long j) {
        return i * PREDICATES + j;
    }

    static Node s(long i) {
        return NodeFactory.createURI(NS + "s_" + i);
    }

    static Node p(int j) {
        return j == 0 ? TYPE : NodeFactory.createURI(NS + "p_" + j);
    }

    static Node cls(long k) {
        return NodeFactory.createURI(NS + "Class_" + k);
    }

    static long mixBits(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    /** The loaded object of subject i, predicate j. */
    Node loaded(long i, int j) {
        long h = mixBits(seed * 31 + key(i, j)) >>> 1;
        if ( j == 0 )
            return cls(h % classes);
        if ( j <= 3 )
            return s(h % subjects);
        return NodeFactory.createLiteralDT(Long.toString(h % 1_000_000), XSDDatatype.XSDinteger);
    }

    /** Make {@code nSubs} distinct queries of the shapes in {@code mix} (percent per shape). */
    void make(int nSubs, String mix, int filterMax) {
        SplittableRandom rnd = new SplittableRandom(seed + 2);
        Map<String, Integer> pct = new HashMap<>();
        for ( String part : mix.split(",") ) {
            String[] kv = part.trim().split(":");
            pct.put(kv[0], Integer.parseInt(kv[1]));
        }
        int total = pct.values().stream().mapToInt(Integer::intValue).sum();
        Set<String> seen = new HashSet<>();
        for ( String shape : List.of("class", "filter", "join", "subject") ) {
            int n = shape.equals("subject") ? nSubs - queries.size() : (int)Math.round((double)nSubs * pct.getOrDefault(shape, 0) / total);
            int made = 0, attempts = 0;
            while ( made < n && attempts++ < 100 * n + 1000 ) {
                String q;
                long i = 0, kk = 0;
                int j = 0;
                switch (shape) {
                    case "class" -> {
                        kk = made < classes ? made : rnd.nextInt(classes);
                        q = "SELECT ?s { ?s a :Class_" + kk + " }";
                    }
                    case "filter" -> {
                        j = 4 + rnd.nextInt(6);
                        q = "SELECT ?s ?v { ?s :p_" + j + " ?v FILTER(?v > " + rnd.nextInt(filterMax) + ") } LIMIT 10";
                    }
                    case "join" -> {
                        j = 4 + rnd.nextInt(6);
                        q = "SELECT ?s ?v { ?s a :Class_" + rnd.nextInt(classes) + " . ?s :p_" + j + " ?v }";
                    }
                    default -> {
                        i = rnd.nextInt(subjects);
                        j = 1 + rnd.nextInt(PREDICATES - 1);
                        q = "SELECT ?o { :s_" + i + " :p_" + j + " ?o }";
                    }
                }
                if ( !seen.add(q) )
                    continue;
                int idx = queries.size();
                queries.add(PREFIX + q);
                shapes.add(shape);
                if ( shape.equals("subject") ) {
                    subjectSub.put(key(i, j), idx);
                    subjectPairs.add(new long[] {i, j});
                } else if ( shape.equals("class") )
                    classSub.put((int)kk, idx);
                else
                    predBound[j]++;
                made++;
            }
        }
    }
}
