package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.op.Op1;
import org.apache.jena.sparql.algebra.op.Op2;
import org.apache.jena.sparql.algebra.op.OpAssign;
import org.apache.jena.sparql.algebra.op.OpBGP;
import org.apache.jena.sparql.algebra.op.OpConditional;
import org.apache.jena.sparql.algebra.op.OpDatasetNames;
import org.apache.jena.sparql.algebra.op.OpDisjunction;
import org.apache.jena.sparql.algebra.op.OpExtend;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.algebra.op.OpGraph;
import org.apache.jena.sparql.algebra.op.OpGroup;
import org.apache.jena.sparql.algebra.op.OpJoin;
import org.apache.jena.sparql.algebra.op.OpLeftJoin;
import org.apache.jena.sparql.algebra.op.OpMinus;
import org.apache.jena.sparql.algebra.op.OpN;
import org.apache.jena.sparql.algebra.op.OpNull;
import org.apache.jena.sparql.algebra.op.OpPath;
import org.apache.jena.sparql.algebra.op.OpQuad;
import org.apache.jena.sparql.algebra.op.OpQuadBlock;
import org.apache.jena.sparql.algebra.op.OpQuadPattern;
import org.apache.jena.sparql.algebra.op.OpSequence;
import org.apache.jena.sparql.algebra.op.OpService;
import org.apache.jena.sparql.algebra.op.OpTable;
import org.apache.jena.sparql.algebra.op.OpTriple;
import org.apache.jena.sparql.algebra.op.OpUnion;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.TriplePath;
import org.apache.jena.sparql.core.VarExprList;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprFunction;
import org.apache.jena.sparql.expr.ExprFunctionOp;
import org.apache.jena.sparql.expr.ExprList;
import org.apache.jena.sparql.path.P_Link;
import org.apache.jena.sparql.path.P_Mod;
import org.apache.jena.sparql.path.P_NegPropSet;
import org.apache.jena.sparql.path.P_ReverseLink;
import org.apache.jena.sparql.path.P_ZeroOrMore1;
import org.apache.jena.sparql.path.P_ZeroOrMoreN;
import org.apache.jena.sparql.path.P_ZeroOrOne;
import org.apache.jena.sparql.path.Path;
import org.apache.jena.sparql.path.P_FixedLength;
import org.apache.jena.sparql.path.P_Path1;
import org.apache.jena.sparql.path.P_Path2;

/**
 * The quad patterns a query reads, anywhere in its algebra (optional parts, unions, minus,
 * subqueries, EXISTS filters, property paths): a change to a quad that matches none of them
 * cannot change the query's answer. Variables become {@link Node#ANY}; the default graph is
 * {@link Quad#defaultGraphNodeGenerated}; patterns inside {@code GRAPH ?g} have graph ANY.
 * Property paths contribute one pattern per IRI they mention (a negated property set, or a
 * path that may have length zero: any quad of the graph), so the patterns over-approximate,
 * never under-approximate, what the query reads.
 */
public final class QueryPatterns {
    /** A pattern; ANY in a position matches any term. */
    public record QuadPattern(Node graph, Node subject, Node predicate, Node object) {}

    private QueryPatterns() {}

    public static List<QuadPattern> of(Op op) {
        List<QuadPattern> out = new ArrayList<>();
        collect(op, Quad.defaultGraphNodeGenerated, out);
        return out;
    }

    private static Node term(Node n) {
        return n == null || n.isVariable() || n.isBlank() ? Node.ANY : n;
    }

    private static void collect(Op op, Node graph, List<QuadPattern> out) {
        switch (op) {
            case OpBGP bgp -> bgp.getPattern().forEach(t -> add(graph, t, out));
            case OpTriple t -> add(graph, t.getTriple(), out);
            case OpQuadPattern qp -> qp.getPattern().forEach(q -> add(q, out));
            case OpQuadBlock qb -> qb.getPattern().forEach(q -> add(q, out));
            case OpQuad q -> add(q.getQuad(), out);
            case OpPath p -> addPath(graph, p.getTriplePath(), out);
            case OpGraph g -> {
                Node named = g.getNode().isVariable() ? Node.ANY : g.getNode();
                collect(g.getSubOp(), named, out);
                // Solutions that match no quad (VALUES, OPTIONAL on nothing, COUNT without GROUP BY...) exist once per
                // named graph, or when the named graph exists: then adding or removing a graph changes the answer.
                if ( !needsQuad(g.getSubOp()) )
                    out.add(new QuadPattern(named, Node.ANY, Node.ANY, Node.ANY));
            }
            case OpDatasetNames dn -> out.add(new QuadPattern(term(dn.getGraphNode()), Node.ANY, Node.ANY, Node.ANY));
            case OpService s -> throw new LiveQueryException(LiveQueryException.Kind.BAD_QUERY,
                                                             "SERVICE is not supported in live queries: changes at a remote endpoint cannot be followed");
            case OpFilter f -> {
                exprs(f.getExprs(), graph, out);
                collect(f.getSubOp(), graph, out);
            }
            case OpLeftJoin lj -> {
                if ( lj.getExprs() != null )
                    exprs(lj.getExprs(), graph, out);
                collect(lj.getLeft(), graph, out);
                collect(lj.getRight(), graph, out);
            }
            case OpExtend e -> {
                exprs(e.getVarExprList(), graph, out);
                collect(e.getSubOp(), graph, out);
            }
            case OpAssign a -> {
                exprs(a.getVarExprList(), graph, out);
                collect(a.getSubOp(), graph, out);
            }
            case Op1 o -> collect(o.getSubOp(), graph, out);
            case Op2 o -> {
                collect(o.getLeft(), graph, out);
                collect(o.getRight(), graph, out);
            }
            case OpN o -> o.getElements().forEach(e -> collect(e, graph, out));
            default -> { /* OpTable, OpNull, OpLabel leaves read no data */ }
        }
    }

    /**
     * Whether every solution of {@code op} matches at least one quad of the active graph (conservative:
     * false when unsure). A path that may have length zero counts: its pattern already covers the whole graph.
     */
    private static boolean needsQuad(Op op) {
        return switch (op) {
            case OpBGP bgp -> !bgp.getPattern().isEmpty();
            case OpTriple t -> true;
            case OpPath p -> true;
            case OpTable t -> t.getTable().isEmpty();
            case OpNull n -> true;
            case OpGroup g -> !g.getGroupVars().isEmpty() && needsQuad(g.getSubOp());
            case OpGraph g -> false;
            case OpService s -> false;
            case OpLeftJoin lj -> needsQuad(lj.getLeft());
            case OpConditional c -> needsQuad(c.getLeft());
            case OpMinus m -> needsQuad(m.getLeft());
            case OpUnion u -> needsQuad(u.getLeft()) && needsQuad(u.getRight());
            case OpJoin j -> needsQuad(j.getLeft()) || needsQuad(j.getRight());
            case OpSequence sq -> sq.getElements().stream().anyMatch(QueryPatterns::needsQuad);
            case OpDisjunction d -> d.getElements().stream().allMatch(QueryPatterns::needsQuad);
            case Op1 o -> needsQuad(o.getSubOp());
            default -> false;
        };
    }

    private static void exprs(VarExprList vel, Node graph, List<QuadPattern> out) {
        vel.forEachExpr((v, e) -> expr(e, graph, out));
    }

    private static void exprs(ExprList list, Node graph, List<QuadPattern> out) {
        list.forEach(e -> expr(e, graph, out));
    }

    /** EXISTS and NOT EXISTS carry a graph pattern inside an expression. */
    private static void expr(Expr e, Node graph, List<QuadPattern> out) {
        if ( e instanceof ExprFunctionOp fop ) {
            if ( fop.getGraphPattern() != null )
                collect(fop.getGraphPattern(), graph, out);
        }
        if ( e instanceof ExprFunction f )
            f.getArgs().forEach(a -> expr(a, graph, out));
    }

    private static void add(Node graph, Triple t, List<QuadPattern> out) {
        out.add(new QuadPattern(graph, term(t.getSubject()), term(t.getPredicate()), term(t.getObject())));
    }

    private static void add(Quad q, List<QuadPattern> out) {
        Node g = q.getGraph();
        Node graph = Quad.isDefaultGraph(g) ? Quad.defaultGraphNodeGenerated : term(g);
        out.add(new QuadPattern(graph, term(q.getSubject()), term(q.getPredicate()), term(q.getObject())));
    }

    private static void addPath(Node graph, TriplePath tp, List<QuadPattern> out) {
        if ( tp.isTriple() ) {
            add(graph, tp.asTriple(), out);
            return;
        }
        Path path = tp.getPath();
        Node s = term(tp.getSubject());
        Node o = term(tp.getObject());
        List<Node> iris = new ArrayList<>();
        boolean anyPredicate = pathIris(path, iris);
        // Intermediate nodes of a path are unknown: only a one-step path keeps its ends.
        boolean oneStep = path instanceof P_Link;
        Node subj = oneStep ? s : Node.ANY;
        Node obj = oneStep ? o : Node.ANY;
        if ( anyPredicate || iris.isEmpty() ) {
            out.add(new QuadPattern(graph, Node.ANY, Node.ANY, Node.ANY));
            return;
        }
        for ( Node iri : iris )
            out.add(new QuadPattern(graph, subj, iri, obj));
    }

    /**
     * Collect the IRIs a path steps over; true when the path can match any predicate or may
     * have length zero (then it relates every node of the graph to itself, so any change that
     * adds or removes a node can change the answer).
     */
    private static boolean pathIris(Path path, List<Node> iris) {
        return switch (path) {
            case P_Link p -> {
                iris.add(p.getNode());
                yield false;
            }
            case P_ReverseLink p -> {
                iris.add(p.getNode());
                yield false;
            }
            case P_NegPropSet p -> true;
            case P_ZeroOrOne p -> {
                pathIris(p.getSubPath(), iris);
                yield true;
            }
            case P_ZeroOrMore1 p -> {
                pathIris(p.getSubPath(), iris);
                yield true;
            }
            case P_ZeroOrMoreN p -> {
                pathIris(p.getSubPath(), iris);
                yield true;
            }
            case P_Mod p -> pathIris(p.getSubPath(), iris) | p.getMin() <= 0;
            case P_FixedLength p -> pathIris(p.getSubPath(), iris) | p.getCount() == 0;
            case P_Path1 p -> pathIris(p.getSubPath(), iris);
            case P_Path2 p -> pathIris(p.getLeft(), iris) | pathIris(p.getRight(), iris);
            default -> true;
        };
    }
}
