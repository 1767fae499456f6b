package org.fusekicdc.live;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.Query;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.op.OpBGP;
import org.apache.jena.sparql.algebra.op.OpDistinct;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.algebra.op.OpGraph;
import org.apache.jena.sparql.algebra.op.OpOrder;
import org.apache.jena.sparql.algebra.op.OpProject;
import org.apache.jena.sparql.algebra.op.OpSlice;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.E_BNode;
import org.apache.jena.sparql.expr.E_Now;
import org.apache.jena.sparql.expr.E_Random;
import org.apache.jena.sparql.expr.E_StrUUID;
import org.apache.jena.sparql.expr.E_UUID;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprFunction;
import org.apache.jena.sparql.expr.ExprFunctionOp;
import org.apache.jena.sparql.function.FunctionEnv;
import org.apache.jena.sparql.function.FunctionEnvBase;

/**
 * How to follow a query's answer by delta rules instead of re-running it: a SELECT whose
 * WHERE is a basic graph pattern with FILTERs, optionally inside one GRAPH, optionally
 * DISTINCT (ORDER BY is irrelevant to a multiset). Anything else has no plan and is re-run.
 * <p>
 * A BGP solution is fixed by the quads it matches. With A the quads a step added and D those
 * it deleted, the solutions that appear are those of the new state that match some quad of A
 * (found by binding each pattern to each quad of A and joining the others on the new state),
 * and the solutions that disappear are those of the old state that match some quad of D (the
 * same on the old state, seen as the new state without A and with D). FILTERs apply to each
 * solution alone; projection keeps multiplicities; DISTINCT keeps the number of solutions
 * behind each row and shows the rows with a count above zero.
 * <p>
 * LIMIT without ORDER BY asks for any N solutions (SPARQL leaves their order undefined): a
 * full answer stays as it is while none of its rows loses a solution; an answer with fewer
 * rows than the limit is all solutions and takes the additions up to the limit.
 */
final class IncrementalPlan {
    private final List<Node[]> patterns;   // graph, subject, predicate, object; graph null for the default graph
    private final List<Expr> filters;
    private final boolean distinct;
    private final long limit;
    private final Query whole;

    private IncrementalPlan(List<Node[]> patterns, List<Expr> filters, boolean distinct, long limit, Query whole) {
        this.patterns = patterns;
        this.filters = filters;
        this.distinct = distinct;
        this.limit = limit;
        this.whole = whole;
    }

    /** The plan for {@code query}, or null when it must be re-run instead. */
    static IncrementalPlan of(Query query, boolean unionDefaultGraph) {
        if ( query.hasLimit() && (query.hasOrderBy() || query.isDistinct()) )
            return null;
        if ( unionDefaultGraph || !query.isSelectType() || query.hasOffset() || query.hasAggregators()
             || query.hasGroupBy() || query.hasHaving() || query.hasValues() || query.isReduced() || query.hasDatasetDescription()
             || !query.getProject().getExprs().isEmpty() )
            return null;
        Op op = Algebra.compile(query);
        if ( op instanceof OpSlice sl )
            op = sl.getSubOp();
        boolean distinct = false;
        if ( op instanceof OpDistinct d ) {
            distinct = true;
            op = d.getSubOp();
        }
        if ( op instanceof OpProject p )
            op = p.getSubOp();
        if ( op instanceof OpOrder o )
            op = o.getSubOp();
        List<Expr> filters = new ArrayList<>();
        Node graph = null;
        while ( true ) {
            if ( op instanceof OpFilter f ) {
                for ( Expr e : f.getExprs() ) {
                    if ( !deterministic(e) )
                        return null;
                    // Inside GRAPH ?g a filter does not see ?g bound (the graph variable is joined after).
                    if ( graph != null && graph.isVariable() )
                        return null;
                    filters.add(e);
                }
                op = f.getSubOp();
            } else if ( op instanceof OpGraph g && graph == null ) {
                graph = g.getNode();
                if ( !(graph.isURI() || graph.isVariable()) || Quad.isDefaultGraph(graph) || Quad.isUnionGraph(graph) )
                    return null;
                op = g.getSubOp();
            } else
                break;
        }
        if ( !(op instanceof OpBGP bgp) || bgp.getPattern().isEmpty() )
            return null;
        // Filters inside GRAPH ?g were refused above; those outside may use ?g.
        List<Node[]> patterns = new ArrayList<>();
        for ( Triple t : bgp.getPattern() ) {
            Node[] p = {graph, t.getSubject(), t.getPredicate(), t.getObject()};
            for ( int i = 1 ; i < 4 ; i++ ) {
                if ( !(p[i].isVariable() || p[i].isURI() || (p[i].isLiteral() && storedAsWritten(p[i]))) )
                    return null;
            }
            patterns.add(p);
        }
        Query whole = query;
        if ( distinct ) {
            whole = query.cloneQuery();
            whole.setDistinct(false);
        }
        return new IncrementalPlan(patterns, filters, distinct, query.hasLimit() ? query.getLimit() : -1, whole);
    }

    /** Whether the expression gives the same answer for the same row every time, reading no data. */
    private static boolean deterministic(Expr e) {
        if ( e instanceof ExprFunctionOp || e instanceof E_Now || e instanceof E_Random || e instanceof E_UUID || e instanceof E_StrUUID
             || e instanceof E_BNode )
            return false;
        if ( e instanceof ExprFunction f )
            return f.getArgs().stream().allMatch(IncrementalPlan::deterministic);
        return true;
    }

    /**
     * Whether a store keeps this literal term as it is. TDB2 stores numbers, dates and booleans
     * by value, so "01"^^xsd:integer comes back as "1" and matches 1: delta rules that compare
     * terms would disagree with the store. Plain strings, language strings, canonical integers
     * and booleans, and types no store interprets are safe.
     */
    static boolean storedAsWritten(Node n) {
        if ( !n.isLiteral() )
            return true;
        String dt = n.getLiteralDatatypeURI();
        String lex = n.getLiteralLexicalForm();
        if ( dt.equals(XSDDatatype.XSDinteger.getURI()) ) {
            try {
                return new BigInteger(lex).toString().equals(lex);
            } catch (NumberFormatException ex) {
                return false;
            }
        }
        if ( dt.equals(XSDDatatype.XSDboolean.getURI()) )
            return lex.equals("true") || lex.equals("false");
        return !dt.startsWith(XSDDatatype.XSD + "#") || dt.equals(XSDDatatype.XSDstring.getURI()) || dt.equals(XSDDatatype.XSDanyURI.getURI());
    }

    boolean distinct() {
        return distinct;
    }

    /** The LIMIT (without ORDER BY), or -1. */
    long limit() {
        return limit;
    }

    /** The query that gives the whole answer with multiplicities (for DISTINCT, the number of solutions behind each row). */
    Query whole() {
        return whole;
    }

    /**
     * How many more (positive) or fewer (negative) times each row, projected on {@code vars},
     * occurs after the step's changes; only the fewer unless {@code additions}. {@code dsg} is
     * read at the new state.
     */
    Map<Binding, Integer> delta(DatasetGraph dsg, StepChanges changes, List<Var> vars, boolean additions) {
        Source now = (g, s, p, o) -> g == Node.ANY ? dsg.findNG(g, s, p, o) : dsg.find(g, s, p, o);
        Source before = (g, s, p, o) -> {
            List<Quad> out = new ArrayList<>();
            now.find(g, s, p, o).forEachRemaining(q -> {
                if ( !changes.added().contains(StepChanges.normal(q)) )
                    out.add(q);
            });
            for ( Quad q : changes.deleted() ) {
                if ( matches(g, q.getGraph(), true) && matches(s, q.getSubject(), false) && matches(p, q.getPredicate(), false)
                     && matches(o, q.getObject(), false) )
                    out.add(q);
            }
            return out.iterator();
        };
        FunctionEnv env = new FunctionEnvBase(dsg.getContext(), null, dsg);
        Map<Binding, Integer> out = new HashMap<>();
        for ( Binding b : additions ? solutions(now, changes.added()) : Set.<Binding>of() ) {
            if ( passes(b, env) )
                out.merge(Evaluator.project(b, vars), 1, Integer::sum);
        }
        for ( Binding b : solutions(before, changes.deleted()) ) {
            if ( passes(b, env) )
                out.merge(Evaluator.project(b, vars), -1, Integer::sum);
        }
        out.values().removeIf(c -> c == 0);
        return out;
    }

    /** Whether term {@code n} matches {@code pattern} as the store's find would (in the graph position: ANY is the named graphs). */
    private static boolean matches(Node pattern, Node n, boolean graph) {
        if ( !graph )
            return pattern == Node.ANY || pattern.equals(n);
        if ( pattern == Node.ANY )
            return !Quad.isDefaultGraph(n);
        return Quad.isDefaultGraph(pattern) ? Quad.isDefaultGraph(n) : pattern.equals(n);
    }

    private boolean passes(Binding b, FunctionEnv env) {
        for ( Expr e : filters ) {
            if ( !e.isSatisfied(b, env) )
                return false;
        }
        return true;
    }

    /** Reads quads; ANY matches anything, and a graph of ANY only the named graphs. */
    private interface Source {
        Iterator<Quad> find(Node g, Node s, Node p, Node o);
    }

    /** The distinct solutions on {@code src} that match at least one of {@code changed}. */
    private Set<Binding> solutions(Source src, Collection<Quad> changed) {
        Set<Binding> out = new HashSet<>();
        for ( Quad q : changed ) {
            for ( int i = 0 ; i < patterns.size() ; i++ ) {
                Binding b = unify(patterns.get(i), q, BindingFactory.empty(), false);
                if ( b != null )
                    join(src, b, allBut(i), out);
            }
        }
        return out;
    }

    private boolean[] allBut(int i) {
        boolean[] left = new boolean[patterns.size()];
        Arrays.fill(left, true);
        left[i] = false;
        return left;
    }

    /** Extend {@code b} by the patterns still {@code left}, most bound first. */
    private void join(Source src, Binding b, boolean[] left, Set<Binding> out) {
        int best = -1;
        int bestBound = -1;
        for ( int i = 0 ; i < left.length ; i++ ) {
            if ( !left[i] )
                continue;
            int bound = 0;
            for ( Node n : patterns.get(i) )
                if ( n == null || !n.isVariable() || b.contains(Var.alloc(n)) )
                    bound++;
            if ( bound > bestBound ) {
                best = i;
                bestBound = bound;
            }
        }
        if ( best < 0 ) {
            out.add(b);
            return;
        }
        Node[] p = patterns.get(best);
        left[best] = false;
        Iterator<Quad> it = src.find(p[0] == null ? Quad.defaultGraphIRI : substitute(p[0], b), substitute(p[1], b), substitute(p[2], b),
                                     substitute(p[3], b));
        while ( it.hasNext() ) {
            Binding next = unify(p, it.next(), b, true);
            if ( next != null )
                join(src, next, left, out);
        }
        left[best] = true;
    }

    private static Node substitute(Node n, Binding b) {
        if ( !n.isVariable() )
            return n;
        Node v = b.get(Var.alloc(n));
        return v == null ? Node.ANY : v;
    }

    /**
     * {@code parent} extended so that pattern {@code p} matches quad {@code q}, or null when it cannot.
     * A quad the store found for the pattern with {@code parent} substituted ({@code found}) already
     * matches its constants and bound variables, by the store's rules.
     */
    private static Binding unify(Node[] p, Quad q, Binding parent, boolean found) {
        Node[] terms = {q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject()};
        if ( (p[0] == null) != Quad.isDefaultGraph(terms[0]) )
            return null;
        BindingBuilder builder = null;
        for ( int i = p[0] == null ? 1 : 0 ; i < 4 ; i++ ) {
            Node t = p[i];
            if ( !t.isVariable() ) {
                if ( !found && !t.equals(terms[i]) )
                    return null;
                continue;
            }
            Var v = Var.alloc(t);
            if ( found && parent.contains(v) )
                continue;
            Node bound = builder != null ? builder.get(v) : parent.get(v);
            if ( bound != null ) {
                if ( !bound.equals(terms[i]) )
                    return null;
                continue;
            }
            if ( builder == null )
                builder = Binding.builder(parent);
            builder.add(v, terms[i]);
        }
        return builder == null ? parent : builder.build();
    }

    /**
     * The net effect of the patches of one step: quads that were absent before and present
     * after, and the reverse. Null from {@link #of} when delta rules should not be used for it.
     */
    record StepChanges(Set<Quad> added, Set<Quad> deleted) {
        static Quad normal(Quad q) {
            return Quad.isDefaultGraph(q.getGraph()) && q.getGraph() != Quad.defaultGraphIRI ? Quad.create(Quad.defaultGraphIRI, q.asTriple()) : q;
        }
    }

    /**
     * Collects the changes of a step in patch order; each quad change of the log is a real
     * change (an add of an absent quad, a delete of a present one).
     */
    static final class ChangeCollector {
        private final int max;
        private final Map<Quad, Boolean> first = new HashMap<>();
        private final Map<Quad, Boolean> last = new HashMap<>();
        private boolean usable = true;

        /** @param max most changed quads for which delta rules are worth it */
        ChangeCollector(int max) {
            this.max = max;
        }

        void change(Quad q, boolean add) {
            if ( !usable )
                return;
            q = StepChanges.normal(q);
            // Blank nodes: the patch's labels need not be the store's.
            if ( first.size() >= max || !storedAsWritten(q.getObject()) || q.getSubject().isBlank() || q.getObject().isBlank()
                 || q.getGraph().isBlank() ) {
                giveUp();
                return;
            }
            first.putIfAbsent(q, add);
            last.put(q, add);
        }

        void giveUp() {
            usable = false;
            first.clear();
            last.clear();
        }

        /**
         * The net changes, checked against the new state {@code dsg}; null when they could not be
         * collected or do not agree with it (then the affected queries are re-run).
         */
        StepChanges changes(DatasetGraph dsg) {
            if ( !usable )
                return null;
            Set<Quad> added = new HashSet<>();
            Set<Quad> deleted = new HashSet<>();
            for ( Map.Entry<Quad, Boolean> e : first.entrySet() ) {
                Quad q = e.getKey();
                boolean wasAdd = e.getValue();
                if ( wasAdd != last.get(q) )
                    continue;
                if ( dsg.contains(q) != wasAdd )
                    return null;
                (wasAdd ? added : deleted).add(q);
            }
            return new StepChanges(added, deleted);
        }
    }
}
