package org.fusekicdc.rsp.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.OpVars;
import org.apache.jena.sparql.algebra.Table;
import org.apache.jena.sparql.algebra.TableFactory;
import org.apache.jena.sparql.algebra.TransformCopy;
import org.apache.jena.sparql.algebra.Transformer;
import org.apache.jena.sparql.algebra.op.Op1;
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
 * multisets); only the subjects an event touches are re-matched, and what a subject's
 * solutions added is kept with it, so taking it away again needs no matching. At a step the
 * dataset part is evaluated once, joined with the keys present (a VALUES table), and the per-key
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
    /** Slots of the key variables in the star's solutions. */
    private final int[] keySlots;
    private final List<Var> sharedVars;
    private final List<AggregateSpec> aggregates;
    private final List<Var> projectVars;

    private final Map<Node, StarSubject> subjects = new HashMap<>();
    /** Aggregates by join key: the key variable's node, or the list of the key variables' nodes when there are several. */
    private final Map<Object, AggregateState> byKey = new HashMap<>();
    /** Subjects whose triples changed in this step, to re-match once all events are counted. */
    private final List<StarSubject> changed = new ArrayList<>();
    /**
     * The subject of each event the star reads in the window, in the order the events entered.
     * They leave in that order too (time order; no event joins a time range the window has
     * passed), so a leaving event finds its subject here without a lookup.
     */
    private final ArrayDeque<StarSubject> entered = new ArrayDeque<>();
    /** The subject of the last entering event: a subject's quads usually come one after the other, so most skip the lookup. */
    private StarSubject lastEntered;
    private long lastStart = Long.MIN_VALUE;
    private long lastEnd = Long.MIN_VALUE;

    private IncrementalAggregation(Op top, OpGroup group, StarPattern star, Op datasetPart, List<Var> keyVars, List<Var> sharedVars,
                                   List<AggregateSpec> aggregates, List<Var> projectVars) {
        this.top = top;
        this.group = group;
        this.star = star;
        this.datasetPart = datasetPart;
        this.keyVars = keyVars;
        this.keySlots = keyVars.stream().mapToInt(star.vars()::indexOf).toArray();
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
        List<Var> starVars = star.vars();
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
        List<Var> keyVars = starVars.stream().filter(needed::contains).toList();
        List<Var> sharedVars = starVars.stream().filter(datasetVars::contains).toList();
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
        if ( lastEnd == Long.MIN_VALUE || w.start() >= lastEnd ) {
            // First step, or a window that does not overlap the last one: start again from its content.
            subjects.clear();
            byKey.clear();
            entered.clear();
            w.forEach(e -> change(e, +1));
        } else {
            w.store().forEach(lastStart, Math.min(lastEnd, w.start()), e -> change(e, -1));
            w.store().forEach(Math.max(lastEnd, w.start()), w.end(), e -> change(e, +1));
        }
        lastStart = w.start();
        lastEnd = w.end();
        // Re-matching removes subjects left empty, so the last one entered may be gone by the next step.
        lastEntered = null;
        for ( StarSubject s : changed )
            rematch(s);
        changed.clear();
        return answer(dataset);
    }

    /** Count an event in or out of its subject's triples; the first change in a step takes the subject's solutions away. */
    private void change(Event e, int sign) {
        int id = star.predicateId(e.predicate());
        if ( id < 0 && !star.readsEventProperties() )
            return;
        StarSubject s;
        if ( sign > 0 ) {
            s = lastEntered != null && lastEntered.node == e.subject() ? lastEntered : subjects.get(e.subject());
            if ( s == null ) {
                s = new StarSubject(e.subject());
                subjects.put(e.subject(), s);
            }
            entered.add(s);
            lastEntered = s;
        } else {
            s = entered.poll();
            assert s != null && s.node.equals(e.subject()) : "events leave the window in the order they entered it";
        }
        if ( !s.changed ) {
            for ( StarSubject.Contribution c : s.contributions ) {
                c.state().add(c.row(), -1);
                if ( c.state().rows == 0 )
                    byKey.remove(c.key());
            }
            s.contributions = List.of();
            s.changed = true;
            changed.add(s);
        }
        star.change(s, e, id, sign);
    }

    /** Add the solutions of a subject whose triples changed, and keep what they added. */
    private void rematch(StarSubject s) {
        s.changed = false;
        if ( s.isEmpty() ) {
            subjects.remove(s.node);
            return;
        }
        List<Node[]> rows = star.solutions(s.node, s);
        if ( rows.isEmpty() )
            return;
        List<StarSubject.Contribution> added = new ArrayList<>(rows.size());
        for ( Node[] row : rows ) {
            Object key = key(row);
            AggregateState state = byKey.get(key);
            if ( state == null ) {
                state = new AggregateState(aggregates);
                byKey.put(key, state);
            }
            state.add(row, +1);
            added.add(new StarSubject.Contribution(key, state, row));
        }
        s.contributions = added;
    }

    private Object key(Node[] row) {
        if ( keySlots.length == 1 )
            return row[keySlots[0]];
        Node[] key = new Node[keySlots.length];
        for ( int i = 0; i < key.length; i++ )
            key[i] = row[keySlots[i]];
        return Arrays.asList(key);
    }

    /** The key as a binding of the key variables. */
    private Binding keyBinding(Object key) {
        if ( keySlots.length == 1 )
            return BindingFactory.binding(keyVars.get(0), (Node)key);
        BindingBuilder b = BindingFactory.builder();
        List<?> nodes = (List<?>)key;
        for ( int i = 0; i < keySlots.length; i++ )
            b.add(keyVars.get(i), (Node)nodes.get(i));
        return b.build();
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
        Map<Binding, AggregateState> byKey = new LinkedHashMap<>();
        this.byKey.forEach((key, state) -> byKey.put(keyBinding(key), state));
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

    /**
     * One aggregate of the group: its output variable, its kind, the star variable it reads
     * and that variable's slot in the star's solutions (null and -1 for COUNT(*)).
     */
    record AggregateSpec(Var var, Kind kind, Var arg, int slot) {
        enum Kind { COUNT_ALL, COUNT, SUM, AVG, MIN, MAX }

        /** @param starVars the star's variables by slot */
        static AggregateSpec of(ExprAggregator ea, List<Var> starVars) {
            Aggregator agg = ea.getAggregator();
            if ( agg instanceof AggCount )
                return new AggregateSpec(ea.getVar(), Kind.COUNT_ALL, null, -1);
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
            return new AggregateSpec(ea.getVar(), kind, arg.asVar(), starVars.indexOf(arg.asVar()));
        }
    }
}
