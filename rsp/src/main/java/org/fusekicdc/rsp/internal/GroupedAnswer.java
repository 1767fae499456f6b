package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.Table;
import org.apache.jena.sparql.algebra.TableFactory;
import org.apache.jena.sparql.algebra.TransformCopy;
import org.apache.jena.sparql.algebra.Transformer;
import org.apache.jena.sparql.algebra.op.Op1;
import org.apache.jena.sparql.algebra.op.OpExtend;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.algebra.op.OpGroup;
import org.apache.jena.sparql.algebra.op.OpJoin;
import org.apache.jena.sparql.algebra.op.OpOrder;
import org.apache.jena.sparql.algebra.op.OpSlice;
import org.apache.jena.sparql.algebra.op.OpTable;
import org.apache.jena.sparql.algebra.walker.Walker;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.QueryIterator;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprList;
import org.fusekicdc.rsp.StepResult;

/**
 * The answer of a grouped aggregate from aggregates kept per join key: the keys (the star's
 * variables that the dataset part or GROUP BY use), joined with the dataset part's rows,
 * combined per group, then HAVING, ORDER BY, LIMIT and expressions over aggregates as Jena
 * evaluates them over a table of the groups. Shared by the in-server incremental plan and the
 * assembly of a query split by key.
 */
final class GroupedAnswer {
    private final Op top;
    private final OpGroup group;
    private final List<AggregateSpec> aggregates;
    private final List<Var> projectVars;
    private final List<Var> keyVars;
    /** Slots of the key variables in the star's solutions. */
    private final int[] keySlots;
    /** The key variables the dataset part uses too: what a key joins the dataset part's rows on. */
    private final List<Var> sharedVars;

    /**
     * @param top      the query's algebra, {@code group} somewhere below the operators at its top
     * @param starVars the star's variables by slot
     */
    GroupedAnswer(Op top, OpGroup group, List<AggregateSpec> aggregates, List<Var> projectVars, List<Var> keyVars, List<Var> starVars,
                  List<Var> sharedVars) {
        this.top = top;
        this.group = group;
        this.aggregates = aggregates;
        this.projectVars = projectVars;
        this.keyVars = keyVars;
        this.keySlots = keyVars.stream().mapToInt(starVars::indexOf).toArray();
        this.sharedVars = sharedVars;
    }

    List<AggregateSpec> aggregates() {
        return aggregates;
    }

    /** The variables of the join key, in key order. */
    List<Var> keyVars() {
        return keyVars;
    }

    List<Var> sharedVars() {
        return sharedVars;
    }

    List<Var> groupVars() {
        return group.getGroupVars().getVars();
    }

    /**
     * Whether the operators above the group read only the groups: no EXISTS (which reads the
     * dataset) and no LIMIT or OFFSET (which would keep groups by their order, and the order of
     * groups without ORDER BY, or among equals, is that of the join keys).
     */
    boolean aboveGroupReadsOnlyGroups() {
        Op cursor = top;
        while ( cursor != group ) {
            if ( cursor instanceof OpSlice )
                return false;
            ExprList exprs = switch (cursor) {
                case OpFilter f -> f.getExprs();
                case OpExtend e -> new ExprList(new ArrayList<>(e.getVarExprList().getExprs().values()));
                case OpOrder o -> new ExprList(o.getConditions().stream().map(c -> c.getExpression()).toList());
                default -> new ExprList();
            };
            for ( Expr e : exprs )
                if ( readsDataset(e) )
                    return false;
            cursor = ((Op1)cursor).getSubOp();
        }
        return true;
    }

    private static boolean readsDataset(Expr e) {
        boolean[] found = { false };
        Walker.walk(e, new org.apache.jena.sparql.expr.ExprVisitorBase() {
            @Override
            public void visit(org.apache.jena.sparql.expr.ExprFunctionOp op) {
                found[0] = true;
            }
        });
        return found[0];
    }

    /** The join key of a star solution: the key variable's node, or the list of the key variables' nodes. */
    Object key(Node[] row) {
        if ( keySlots.length == 1 )
            return row[keySlots[0]];
        Node[] key = new Node[keySlots.length];
        for ( int i = 0; i < key.length; i++ )
            key[i] = row[keySlots[i]];
        return Arrays.asList(key);
    }

    /** The key as a binding of the key variables. */
    Binding keyBinding(Object key) {
        if ( keySlots.length == 1 )
            return BindingFactory.binding(keyVars.get(0), (Node)key);
        BindingBuilder b = BindingFactory.builder();
        List<?> nodes = (List<?>)key;
        for ( int i = 0; i < keySlots.length; i++ )
            b.add(keyVars.get(i), (Node)nodes.get(i));
        return b.build();
    }

    /**
     * Join aggregates by join key, made elsewhere, with the dataset part, combine per group, and
     * run the operators above the group.
     *
     * @param states        the window's aggregates by join key
     * @param datasetSource the dataset part, or a table of its solutions (null when the query has none)
     * @param dataset       what {@code datasetSource} and the operators above the group read
     */
    StepResult answer(Map<Object, AggregateState> states, Op datasetSource, DatasetGraph dataset) {
        List<Var> groupVars = group.getGroupVars().getVars();
        Map<Binding, AggregateState> groups = new LinkedHashMap<>();
        Map<Binding, AggregateState> byKey = new LinkedHashMap<>();
        states.forEach((key, state) -> byKey.put(keyBinding(key), state));
        if ( datasetSource == null ) {
            byKey.forEach((key, state) -> groups.computeIfAbsent(Enrichment.project(key, groupVars), k -> new AggregateState(aggregates)).merge(state));
        } else if ( !byKey.isEmpty() ) {
            Map<Binding, List<Map.Entry<Binding, AggregateState>>> keysByShared = new HashMap<>();
            Table values = TableFactory.create(sharedVars);
            for ( Map.Entry<Binding, AggregateState> e : byKey.entrySet() ) {
                Binding shared = Enrichment.project(e.getKey(), sharedVars);
                List<Map.Entry<Binding, AggregateState>> l = keysByShared.get(shared);
                if ( l == null ) {
                    l = new ArrayList<>();
                    keysByShared.put(shared, l);
                    values.addBinding(shared);
                }
                l.add(e);
            }
            Op joined = OpJoin.create(OpTable.create(values), datasetSource);
            QueryIterator rows = Algebra.exec(joined, dataset);
            try {
                while ( rows.hasNext() ) {
                    Binding row = rows.next();
                    for ( Map.Entry<Binding, AggregateState> e : keysByShared.getOrDefault(Enrichment.project(row, sharedVars), List.of()) ) {
                        Binding full = BindingFactory.builder(row).addAll(e.getKey()).build();
                        groups.computeIfAbsent(Enrichment.project(full, groupVars), k -> new AggregateState(aggregates)).merge(e.getValue());
                    }
                }
            } finally {
                rows.close();
            }
        }
        return aboveGroup(groups, dataset);
    }

    /** The groups' aggregate values through the operators above the group. */
    StepResult aboveGroup(Map<Binding, AggregateState> groups, DatasetGraph dataset) {
        if ( group.getGroupVars().getVars().isEmpty() && groups.isEmpty() )
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
}
