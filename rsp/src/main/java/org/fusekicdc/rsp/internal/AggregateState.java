package org.fusekicdc.rsp.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.expr.NodeValue;
import org.apache.jena.sparql.expr.nodevalue.XSDFuncOp;
import org.apache.jena.sparql.util.NodeCmp;

/**
 * The aggregates of one join key (or, at a step, one group), kept so that a solution can be
 * added and taken away again: counts and exact sums by subtraction (with how many values of
 * each numeric type, which decides the result's type as SPARQL's promotion does), MIN and MAX
 * as ordered multisets, so removing the current minimum never rescans.
 */
final class AggregateState {
    private static final Comparator<NodeValue> ORDER = (a, b) -> {
        int c = NodeValue.compareAlways(a, b);
        return c != 0 ? c : NodeCmp.compareRDFTerms(a.asNode(), b.asNode());
    };
    private static final int INTEGER = 0, DECIMAL = 1, FLOAT = 2, DOUBLE = 3;
    /** Not a value {@link #smallInteger} reads: it reads at most 18 digits. */
    private static final long NOT_SMALL = Long.MIN_VALUE;
    private static final String XSD_INTEGER = org.apache.jena.datatypes.xsd.XSDDatatype.XSDinteger.getURI();

    private final List<AggregateSpec> specs;
    long rows;
    private final long[] bound;
    private final BigDecimal[] sums;
    /** Per aggregate: the part of the sum from xsd:integer values that fit in a long (the exact sum is sums + smallSums). */
    private final long[] smallSums;
    private final long[][] types;
    /** Per aggregate: values that are not numbers (SUM/AVG fail), or NaN/infinities. */
    private final long[] notNumbers;
    private final long[][] nonFinite;
    private final TreeMap<NodeValue, Long>[] ordered;

    @SuppressWarnings("unchecked")
    AggregateState(List<AggregateSpec> specs) {
        this.specs = specs;
        int n = specs.size();
        bound = new long[n];
        sums = new BigDecimal[n];
        smallSums = new long[n];
        types = new long[n][4];
        notNumbers = new long[n];
        nonFinite = new long[n][3];
        ordered = new TreeMap[n];
        for ( int i = 0; i < n; i++ ) {
            sums[i] = BigDecimal.ZERO;
            if ( specs.get(i).kind() == AggregateSpec.Kind.MIN || specs.get(i).kind() == AggregateSpec.Kind.MAX )
                ordered[i] = new TreeMap<>(ORDER);
        }
    }

    /** Add ({@code sign} 1) or take away (-1) one solution of the star, its nodes by slot. */
    void add(Node[] solution, int sign) {
        add(solution, sign, null);
    }

    /**
     * Add one solution of the star to this state and, when not null, to {@code also} (a pane's
     * state, which takes the same solutions as the window's): each value is read once for both.
     */
    void add(Node[] solution, int sign, AggregateState also) {
        rows += sign;
        if ( also != null )
            also.rows += sign;
        for ( int i = 0; i < specs.size(); i++ ) {
            AggregateSpec spec = specs.get(i);
            if ( spec.slot() < 0 )
                continue;
            Node n = solution[spec.slot()];
            if ( n == null )
                continue;
            bound[i] += sign;
            if ( also != null )
                also.bound[i] += sign;
            switch (spec.kind()) {
                case SUM, AVG -> {
                    long x = smallInteger(n);
                    if ( x != NOT_SMALL ) {
                        addSmall(i, x, sign);
                        if ( also != null )
                            also.addSmall(i, x, sign);
                    } else {
                        NodeValue v = NodeValue.makeNode(n);
                        addNumber(i, v, sign);
                        if ( also != null )
                            also.addNumber(i, v, sign);
                    }
                }
                case MIN, MAX -> {
                    NodeValue v = NodeValue.makeNode(n);
                    ordered[i].merge(v, (long)sign, (a, b) -> a + b == 0 ? null : a + b);
                    if ( also != null )
                        also.ordered[i].merge(v, (long)sign, (a, b) -> a + b == 0 ? null : a + b);
                }
                default -> { }
            }
        }
    }

    /** The common case without building a NodeValue: the value of an xsd:integer that fits in a long, else {@link #NOT_SMALL}. */
    private static long smallInteger(Node n) {
        if ( !n.isLiteral() || !XSD_INTEGER.equals(n.getLiteralDatatypeURI()) )
            return NOT_SMALL;
        String lexical = n.getLiteralLexicalForm();
        return isShortInteger(lexical) ? Long.parseLong(lexical) : NOT_SMALL;
    }

    private void addSmall(int i, long x, int sign) {
        types[i][INTEGER] += sign;
        try {
            smallSums[i] = Math.addExact(smallSums[i], sign * x);
        } catch (ArithmeticException overflow) {
            sums[i] = sums[i].add(BigDecimal.valueOf(smallSums[i])).add(BigDecimal.valueOf(sign * x));
            smallSums[i] = 0;
        }
    }

    /**
     * Whether a lexical form is an optional sign and at most 18 digits: a valid xsd:integer whose
     * value fits in a long, read without Jena's datatype parser (which runs on every call for it).
     */
    private static boolean isShortInteger(String lexical) {
        int start = !lexical.isEmpty() && (lexical.charAt(0) == '+' || lexical.charAt(0) == '-') ? 1 : 0;
        int digits = lexical.length() - start;
        if ( digits < 1 || digits > 18 )
            return false;
        for ( int k = start; k < lexical.length(); k++ ) {
            char c = lexical.charAt(k);
            if ( c < '0' || c > '9' )
                return false;
        }
        return true;
    }

    private void addNumber(int i, NodeValue v, int sign) {
        if ( !v.isNumber() ) {
            notNumbers[i] += sign;
            return;
        }
        if ( v.isInteger() ) {
            types[i][INTEGER] += sign;
            sums[i] = sums[i].add(new BigDecimal(v.getInteger()).multiply(BigDecimal.valueOf(sign)));
        } else if ( v.isDecimal() ) {
            types[i][DECIMAL] += sign;
            sums[i] = sums[i].add(v.getDecimal().multiply(BigDecimal.valueOf(sign)));
        } else {
            double d = v.getDouble();
            types[i][v.isFloat() ? FLOAT : DOUBLE] += sign;
            if ( Double.isNaN(d) )
                nonFinite[i][0] += sign;
            else if ( d == Double.POSITIVE_INFINITY )
                nonFinite[i][1] += sign;
            else if ( d == Double.NEGATIVE_INFINITY )
                nonFinite[i][2] += sign;
            else
                sums[i] = sums[i].add(new BigDecimal(d).multiply(BigDecimal.valueOf(sign)));
        }
    }

    /** Fold another key's aggregates into this group's (MIN/MAX take only the other's current extreme). */
    void merge(AggregateState other) {
        rows += other.rows;
        for ( int i = 0; i < specs.size(); i++ ) {
            bound[i] += other.bound[i];
            sums[i] = sums[i].add(other.sums[i]).add(BigDecimal.valueOf(other.smallSums[i]));
            notNumbers[i] += other.notNumbers[i];
            for ( int t = 0; t < 4; t++ )
                types[i][t] += other.types[i][t];
            for ( int t = 0; t < 3; t++ )
                nonFinite[i][t] += other.nonFinite[i][t];
            if ( ordered[i] != null && !other.ordered[i].isEmpty() ) {
                NodeValue extreme = specs.get(i).kind() == AggregateSpec.Kind.MIN ? other.ordered[i].firstKey() : other.ordered[i].lastKey();
                ordered[i].merge(extreme, 1L, Long::sum);
            }
        }
    }

    /**
     * Take away another state's solutions, each of which was also added to this one: a pane's
     * aggregates leaving the window's. Its MIN/MAX multisets are whole (built by {@link #add}).
     */
    void subtract(AggregateState other) {
        rows -= other.rows;
        for ( int i = 0; i < specs.size(); i++ ) {
            bound[i] -= other.bound[i];
            if ( other.sums[i].signum() != 0 )
                sums[i] = sums[i].subtract(other.sums[i]);
            try {
                smallSums[i] = Math.subtractExact(smallSums[i], other.smallSums[i]);
            } catch (ArithmeticException overflow) {
                sums[i] = sums[i].subtract(BigDecimal.valueOf(other.smallSums[i]));
            }
            notNumbers[i] -= other.notNumbers[i];
            for ( int t = 0; t < 4; t++ )
                types[i][t] -= other.types[i][t];
            for ( int t = 0; t < 3; t++ )
                nonFinite[i][t] -= other.nonFinite[i][t];
            if ( ordered[i] != null )
                for ( var e : other.ordered[i].entrySet() )
                    ordered[i].merge(e.getKey(), -e.getValue(), (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    /** The value of aggregate {@code i}, or null when it is unbound (an error, or MIN/MAX of nothing). */
    Node value(int i) {
        return switch (specs.get(i).kind()) {
            case COUNT_ALL -> NodeValue.makeInteger(rows).asNode();
            case COUNT -> NodeValue.makeInteger(bound[i]).asNode();
            case SUM -> notNumbers[i] > 0 ? null : sum(i).asNode();
            case AVG -> notNumbers[i] > 0 ? null
                : bound[i] == 0 ? NodeValue.nvZERO.asNode() : XSDFuncOp.numDivide(sum(i), NodeValue.makeInteger(bound[i])).asNode();
            case MIN -> ordered[i].isEmpty() ? null : ordered[i].firstKey().asNode();
            case MAX -> ordered[i].isEmpty() ? null : ordered[i].lastKey().asNode();
        };
    }

    private NodeValue sum(int i) {
        long[] t = types[i];
        BigDecimal exact = sums[i].add(BigDecimal.valueOf(smallSums[i]));
        if ( t[DOUBLE] > 0 || t[FLOAT] > 0 ) {
            long[] nf = nonFinite[i];
            double d = nf[0] > 0 || (nf[1] > 0 && nf[2] > 0) ? Double.NaN
                : nf[1] > 0 ? Double.POSITIVE_INFINITY : nf[2] > 0 ? Double.NEGATIVE_INFINITY : exact.doubleValue();
            return t[DOUBLE] > 0 ? NodeValue.makeDouble(d) : NodeValue.makeFloat((float)d);
        }
        if ( t[DECIMAL] > 0 )
            return NodeValue.makeDecimal(exact);
        return NodeValue.makeInteger(exact.toBigIntegerExact());
    }

    /** Write the state, to be {@link #merge}d elsewhere ({@link #read}): of MIN and MAX only the extreme, all a merge takes. */
    void write(DataOutput out) throws IOException {
        out.writeLong(rows);
        for ( int i = 0; i < specs.size(); i++ ) {
            out.writeLong(bound[i]);
            Terms.writeString(out, sums[i].add(BigDecimal.valueOf(smallSums[i])).toString());
            for ( long t : types[i] )
                out.writeLong(t);
            out.writeLong(notNumbers[i]);
            for ( long t : nonFinite[i] )
                out.writeLong(t);
            if ( ordered[i] != null ) {
                out.writeBoolean(!ordered[i].isEmpty());
                if ( !ordered[i].isEmpty() ) {
                    NodeValue extreme = specs.get(i).kind() == AggregateSpec.Kind.MIN ? ordered[i].firstKey() : ordered[i].lastKey();
                    Terms.write(out, extreme.asNode());
                }
            }
        }
    }

    /** A state as {@link #write} wrote it, for the same aggregates. */
    static AggregateState read(List<AggregateSpec> specs, DataInput in) throws IOException {
        AggregateState s = new AggregateState(specs);
        s.rows = in.readLong();
        for ( int i = 0; i < specs.size(); i++ ) {
            s.bound[i] = in.readLong();
            s.sums[i] = new BigDecimal(Terms.readString(in));
            for ( int t = 0; t < 4; t++ )
                s.types[i][t] = in.readLong();
            s.notNumbers[i] = in.readLong();
            for ( int t = 0; t < 3; t++ )
                s.nonFinite[i][t] = in.readLong();
            if ( s.ordered[i] != null && in.readBoolean() )
                s.ordered[i].put(NodeValue.makeNode(Terms.read(in)), 1L);
        }
        return s;
    }
}
