package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.jena.atlas.lib.SetUtils;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.OpVars;
import org.apache.jena.sparql.algebra.Table;
import org.apache.jena.sparql.algebra.TableFactory;
import org.apache.jena.sparql.algebra.TransformCopy;
import org.apache.jena.sparql.algebra.Transformer;
import org.apache.jena.sparql.algebra.op.Op1;
import org.apache.jena.sparql.algebra.op.OpBGP;
import org.apache.jena.sparql.algebra.op.OpDistinct;
import org.apache.jena.sparql.algebra.op.OpExtend;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.algebra.op.OpGraph;
import org.apache.jena.sparql.algebra.op.OpGroup;
import org.apache.jena.sparql.algebra.op.OpJoin;
import org.apache.jena.sparql.algebra.op.OpOrder;
import org.apache.jena.sparql.algebra.op.OpProject;
import org.apache.jena.sparql.algebra.op.OpReduced;
import org.apache.jena.sparql.algebra.op.OpSlice;
import org.apache.jena.sparql.algebra.op.OpTable;
import org.apache.jena.sparql.algebra.walker.Walker;
import org.apache.jena.sparql.algebra.OpVisitorBase;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.QueryIterator;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprAggregator;
import org.apache.jena.sparql.expr.ExprList;
import org.apache.jena.sparql.expr.aggregate.AggAvg;
import org.apache.jena.sparql.expr.aggregate.AggCount;
import org.apache.jena.sparql.expr.aggregate.AggCountVar;
import org.apache.jena.sparql.expr.aggregate.AggMax;
import org.apache.jena.sparql.expr.aggregate.AggMin;
import org.apache.jena.sparql.expr.aggregate.AggSum;
import org.apache.jena.sparql.expr.aggregate.Aggregator;
import org.apache.jena.sparql.function.FunctionEnvBase;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.WindowSpec;

/**
 * Incremental evaluation of the common streaming shape: a grouped aggregate over one time
 * window whose WINDOW block is a star (one subject variable, constant predicates, optionally
 * filtered), joined with any pattern on the dataset (enrichment):
 * <pre>
 * SELECT ?g (AGG(?x) AS ?a) ... WHERE { WINDOW &lt;w&gt; { ?s :p ?x ; :q ?k FILTER(...) } DATASET-PART } GROUP BY ?g
 * </pre>
 * with COUNT(*), COUNT(?v), SUM, AVG, MIN, MAX (not DISTINCT) over variables of the star.
 * Aggregates are kept per join key (the star's variables that the dataset part or GROUP BY
 * use), updated as events enter and leave (sums and counts by subtraction, MIN/MAX in ordered
 * multisets); only the subjects an event touches are re-matched. At a step the dataset part
 * is evaluated once, joined with the keys present (a VALUES table), and the per-key
 * aggregates are combined per group, so a change of reference data is reflected at the next
 * step like in a full evaluation. HAVING, ORDER BY, LIMIT and expressions over aggregates
 * run on the combined groups as Jena evaluates them.
 */
final class IncrementalAggregation implements StepEvaluator {
    private static final FunctionEnvBase FUNCTION_ENV = new FunctionEnvBase();

    private final Op top;
    private final OpGroup group;
    private final StarPattern star;
    private final Op datasetPart;
    private final List<Var> keyVars;
    private final List<Var> sharedVars;
    private final List<AggregateSpec> aggregates;
    private final List<Var> projectVars;

    private final Map<Node, Map<Triple, Integer>> subjects = new HashMap<>();
    private final Map<Binding, AggregateState> byKey = new HashMap<>();
    private long lastStart = Long.MIN_VALUE;
    private long lastEnd = Long.MIN_VALUE;

    private IncrementalAggregation(Op top, OpGroup group, StarPattern star, Op datasetPart, List<Var> keyVars, List<Var> sharedVars,
                                   List<AggregateSpec> aggregates, List<Var> projectVars) {
        this.top = top;
        this.group = group;
        this.star = star;
        this.datasetPart = datasetPart;
        this.keyVars = keyVars;
        this.sharedVars = sharedVars;
        this.aggregates = aggregates;
        this.projectVars = projectVars;
    }

    /** The incremental plan for the query, or empty when its shape needs re-evaluation. */
    static Optional<IncrementalAggregation> plan(ContinuousQuery query) {
        if ( query.form() != ContinuousQuery.Form.SELECT || query.windows().size() != 1
             || query.windows().get(0).kind() != WindowSpec.Kind.TIME || StepTime.usesNow(query.sparql()) )
            return Optional.empty();
        Node window = query.windows().get(0).iri();
        Op op = Algebra.compile(query.sparql());
        Op cursor = op;
        while ( !(cursor instanceof OpGroup) ) {
            if ( cursor instanceof OpProject || cursor instanceof OpExtend || cursor instanceof OpFilter || cursor instanceof OpOrder
                 || cursor instanceof OpSlice || cursor instanceof OpDistinct || cursor instanceof OpReduced )
                cursor = ((Op1)cursor).getSubOp();
            else
                return Optional.empty();
        }
        OpGroup group = (OpGroup)cursor;
        Op windowOp;
        Op datasetPart = null;
        if ( group.getSubOp() instanceof OpGraph g ) {
            windowOp = g;
        } else if ( group.getSubOp() instanceof OpJoin j ) {
            boolean leftIsWindow = j.getLeft() instanceof OpGraph g && g.getNode().equals(window);
            windowOp = leftIsWindow ? j.getLeft() : j.getRight();
            datasetPart = leftIsWindow ? j.getRight() : j.getLeft();
        } else {
            return Optional.empty();
        }
        if ( !(windowOp instanceof OpGraph wg) || !wg.getNode().equals(window) || (datasetPart != null && readsGraph(datasetPart, window)) )
            return Optional.empty();
        StarPattern star = StarPattern.of(wg.getSubOp());
        if ( star == null )
            return Optional.empty();
        Set<Var> starVars = star.vars();
        for ( Var v : group.getGroupVars().getVars() )
            if ( group.getGroupVars().getExpr(v) != null )
                return Optional.empty();
        List<AggregateSpec> aggregates = new ArrayList<>();
        for ( ExprAggregator ea : group.getAggregators() ) {
            AggregateSpec spec = AggregateSpec.of(ea, starVars);
            if ( spec == null )
                return Optional.empty();
            aggregates.add(spec);
        }
        Set<Var> datasetVars = datasetPart == null ? Set.of() : OpVars.visibleVars(datasetPart);
        Set<Var> needed = new HashSet<>(datasetVars);
        needed.addAll(group.getGroupVars().getVars());
        for ( Var v : group.getGroupVars().getVars() )
            if ( !starVars.contains(v) && !datasetVars.contains(v) )
                return Optional.empty();
        List<Var> keyVars = new ArrayList<>(SetUtils.intersection(starVars, needed));
        List<Var> sharedVars = new ArrayList<>(SetUtils.intersection(starVars, datasetVars));
        return Optional.of(new IncrementalAggregation(op, group, star, datasetPart, keyVars, sharedVars, aggregates, query.sparql().getProjectVars()));
    }

    private static boolean readsGraph(Op op, Node window) {
        boolean[] found = {false};
        Walker.walk(op, new OpVisitorBase() {
            @Override
            public void visit(OpGraph g) {
                if ( g.getNode().equals(window) || g.getNode().isVariable() )
                    found[0] = true;
            }
        });
        return found[0];
    }

    @Override
    public boolean incremental() {
        return true;
    }

    @Override
    public StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now) {
        WindowView w = windows.get(0);
        Map<Node, List<Event>> entering = new LinkedHashMap<>();
        Map<Node, List<Event>> leaving = new LinkedHashMap<>();
        if ( lastEnd == Long.MIN_VALUE || w.start() >= lastEnd ) {
            // First step, or a window that does not overlap the last one: start again from its content.
            subjects.clear();
            byKey.clear();
            w.forEach(e -> bySubject(entering, e));
        } else {
            w.store().forEach(lastStart, Math.min(lastEnd, w.start()), e -> bySubject(leaving, e));
            w.store().forEach(Math.max(lastEnd, w.start()), w.end(), e -> bySubject(entering, e));
        }
        lastStart = w.start();
        lastEnd = w.end();
        Set<Node> touched = new HashSet<>(leaving.keySet());
        touched.addAll(entering.keySet());
        for ( Node s : touched ) {
            Map<Triple, Integer> triples = subjects.computeIfAbsent(s, k -> new HashMap<>());
            contribute(star.solutions(s, triples), -1);
            for ( Event e : leaving.getOrDefault(s, List.of()) )
                StarPattern.change(triples, e, -1, star);
            for ( Event e : entering.getOrDefault(s, List.of()) )
                StarPattern.change(triples, e, +1, star);
            contribute(star.solutions(s, triples), +1);
            if ( triples.isEmpty() )
                subjects.remove(s);
        }
        return answer(dataset);
    }

    private void bySubject(Map<Node, List<Event>> into, Event e) {
        if ( star.accepts(e.triple()) )
            into.computeIfAbsent(e.triple().getSubject(), k -> new ArrayList<>(4)).add(e);
    }

    private void contribute(List<Binding> solutions, int sign) {
        for ( Binding b : solutions ) {
            Binding key = project(b, keyVars);
            AggregateState state = byKey.computeIfAbsent(key, k -> new AggregateState(aggregates));
            state.add(b, sign);
            if ( state.rows == 0 )
                byKey.remove(key);
        }
    }

    private static Binding project(Binding b, List<Var> vars) {
        BindingBuilder builder = BindingFactory.builder();
        for ( Var v : vars ) {
            Node n = b.get(v);
            if ( n != null )
                builder.add(v, n);
        }
        return builder.build();
    }

    /** Join the per-key aggregates with the dataset part, combine per group, and run the operators above the group. */
    private StepResult answer(DatasetGraph dataset) {
        List<Var> groupVars = group.getGroupVars().getVars();
        Map<Binding, AggregateState> groups = new LinkedHashMap<>();
        if ( datasetPart == null ) {
            byKey.forEach((key, state) -> groups.computeIfAbsent(project(key, groupVars), k -> new AggregateState(aggregates)).merge(state));
        } else if ( !byKey.isEmpty() ) {
            Map<Binding, List<Map.Entry<Binding, AggregateState>>> keysByShared = new HashMap<>();
            Table values = TableFactory.create(sharedVars);
            for ( Map.Entry<Binding, AggregateState> e : byKey.entrySet() ) {
                Binding shared = project(e.getKey(), sharedVars);
                List<Map.Entry<Binding, AggregateState>> l = keysByShared.get(shared);
                if ( l == null ) {
                    l = new ArrayList<>();
                    keysByShared.put(shared, l);
                    values.addBinding(shared);
                }
                l.add(e);
            }
            Op joined = OpJoin.create(OpTable.create(values), datasetPart);
            QueryIterator rows = Algebra.exec(joined, dataset);
            try {
                while ( rows.hasNext() ) {
                    Binding row = rows.next();
                    for ( Map.Entry<Binding, AggregateState> e : keysByShared.getOrDefault(project(row, sharedVars), List.of()) ) {
                        Binding full = BindingFactory.builder(row).addAll(e.getKey()).build();
                        groups.computeIfAbsent(project(full, groupVars), k -> new AggregateState(aggregates)).merge(e.getValue());
                    }
                }
            } finally {
                rows.close();
            }
        }
        if ( groupVars.isEmpty() && groups.isEmpty() )
            groups.put(BindingFactory.empty(), new AggregateState(aggregates));
        Table table = TableFactory.create();
        groups.forEach((key, state) -> {
            BindingBuilder b = BindingFactory.builder(key);
            for ( int i = 0; i < aggregates.size(); i++ ) {
                Node value = state.value(i);
                if ( value != null )
                    b.add(aggregates.get(i).var(), value);
            }
            table.addBinding(b.build());
        });
        Op finalOp = Transformer.transform(new TransformCopy() {
            @Override
            public Op transform(OpGroup opGroup, Op subOp) {
                return opGroup.equals(group) ? OpTable.create(table) : super.transform(opGroup, subOp);
            }
        }, top);
        List<Binding> out = new ArrayList<>();
        QueryIterator it = Algebra.exec(finalOp, dataset);
        try {
            it.forEachRemaining(out::add);
        } finally {
            it.close();
        }
        return new StepResult.Rows(projectVars, out);
    }

    /** Whether a filter list holds for a solution (an error is false, as in SPARQL). */
    static boolean holds(ExprList exprs, Binding b) {
        for ( Expr e : exprs ) {
            try {
                if ( !e.isSatisfied(b, FUNCTION_ENV) )
                    return false;
            } catch (RuntimeException ex) {
                return false;
            }
        }
        return true;
    }

    /** One aggregate of the group: its output variable, its kind, the star variable it reads (null for COUNT(*)). */
    record AggregateSpec(Var var, Kind kind, Var arg) {
        enum Kind { COUNT_ALL, COUNT, SUM, AVG, MIN, MAX }

        static AggregateSpec of(ExprAggregator ea, Set<Var> starVars) {
            Aggregator agg = ea.getAggregator();
            if ( agg instanceof AggCount )
                return new AggregateSpec(ea.getVar(), Kind.COUNT_ALL, null);
            Kind kind = switch (agg) {
                case AggCountVar a -> Kind.COUNT;
                case AggSum a -> Kind.SUM;
                case AggAvg a -> Kind.AVG;
                case AggMin a -> Kind.MIN;
                case AggMax a -> Kind.MAX;
                default -> null;
            };
            if ( kind == null || agg.getExprList() == null || agg.getExprList().size() != 1 )
                return null;
            Expr arg = agg.getExprList().get(0);
            if ( !arg.isVariable() || !starVars.contains(arg.asVar()) )
                return null;
            return new AggregateSpec(ea.getVar(), kind, arg.asVar());
        }
    }
}
