package org.fusekicdc.bench;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The small-transaction workload: a fixed, seeded sequence of SPARQL Updates, each one
 * transaction of 1 to 10 quads. Most are {@code INSERT DATA} of new quads (default graph and
 * named graphs, IRIs and literals of several kinds); some are {@code DELETE DATA} of quads
 * inserted earlier. Every update changes every quad it names, so each one is a real change.
 * <p>
 * Deletes only take quads inserted at least {@code deleteLag} updates before, so that with
 * several clients in flight a delete never overtakes its insert.
 */
final class SmallTxnWorkload {
    private static final String NS = "http://example.org/bench/";
    private static final String XSD = "http://www.w3.org/2001/XMLSchema#";

    private record Q(String g, String s, String p, String o) {}

    private record Inserted(long op, Q quad) {}

    private final Random rnd;
    private final double deleteFraction;
    private final int deleteLag;
    private final ArrayDeque<Inserted> live = new ArrayDeque<>();
    private long op = 0;
    private long serial = 0;
    private long quadChanges = 0;
    private long deletedQuads = 0;

    SmallTxnWorkload(long seed, double deleteFraction, int deleteLag) {
        this.rnd = new Random(seed);
        this.deleteFraction = deleteFraction;
        this.deleteLag = deleteLag;
    }

    /** The next update of the sequence. */
    synchronized String next() {
        return nextUpdate();
    }

    /** Updates handed out so far. */
    synchronized long updates() {
        return op;
    }

    /** Quads the updates handed out so far leave in the dataset. */
    synchronized long netQuads() {
        return quadChanges - 2 * deletedQuads;
    }

    private String nextUpdate() {
        long thisOp = op++;
        int size = 1 + rnd.nextInt(10);
        if ( rnd.nextDouble() < deleteFraction && eligible(thisOp) >= size ) {
            List<Q> quads = new ArrayList<>(size);
            for ( int i = 0 ; i < size ; i++ )
                quads.add(live.pollFirst().quad());
            quadChanges += size;
            deletedQuads += size;
            return "DELETE DATA " + block(quads);
        }
        List<Q> quads = new ArrayList<>(size);
        for ( int i = 0 ; i < size ; i++ ) {
            Q q = newQuad();
            quads.add(q);
            live.addLast(new Inserted(thisOp, q));
        }
        quadChanges += size;
        return "INSERT DATA " + block(quads);
    }

    private int eligible(long thisOp) {
        int n = 0;
        for ( Inserted i : live ) {
            if ( i.op() > thisOp - deleteLag || n >= 10 )
                break;
            n++;
        }
        return n;
    }

    private Q newQuad() {
        long k = serial++;
        // Subjects repeat (about 5 quads each), so updates touch existing nodes as well as new ones.
        String s = "<" + NS + "item/" + (k / 5) + ">";
        String p = "<" + NS + "prop" + rnd.nextInt(20) + ">";
        // Every object depends on k, so that no two quads of a subject are equal: each insert is a real change.
        String o = switch (rnd.nextInt(5)) {
            case 0 -> "<" + NS + "item/" + (k * 7919 % 100_003) + ">";
            case 1 -> "\"" + (k * 1000 + rnd.nextInt(1000)) + "\"^^<" + XSD + "integer>";
            case 2 -> "\"label " + k + "\"@en";
            case 3 -> String.format(java.util.Locale.ROOT, "\"2026-01-%02dT%02d:%02d:%02dZ\"^^<%sdateTime>", 10 + k % 19, (k / 19) / 3600 % 24,
                                    (k / 19) / 60 % 60, (k / 19) % 60, XSD);
            default -> "\"text value " + k + " " + Long.toHexString(rnd.nextLong()) + "\"";
        };
        // Half in the default graph, the rest over ten named graphs.
        String g = rnd.nextBoolean() ? null : "<" + NS + "graph/" + rnd.nextInt(10) + ">";
        return new Q(g, s, p, o);
    }

    private static String block(List<Q> quads) {
        StringBuilder sb = new StringBuilder("{\n");
        for ( Q q : quads ) {
            if ( q.g() == null )
                sb.append("  ").append(q.s()).append(' ').append(q.p()).append(' ').append(q.o()).append(" .\n");
            else
                sb.append("  GRAPH ").append(q.g()).append(" { ").append(q.s()).append(' ').append(q.p()).append(' ').append(q.o()).append(" }\n");
        }
        return sb.append("}\n").toString();
    }
}
