package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.OpVisitorBase;
import org.apache.jena.sparql.algebra.Table;
import org.apache.jena.sparql.algebra.TableFactory;
import org.apache.jena.sparql.algebra.op.OpJoin;
import org.apache.jena.sparql.algebra.op.OpTable;
import org.apache.jena.sparql.algebra.walker.Walker;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.QueryIterator;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.E_Function;
import org.apache.jena.sparql.expr.ExprFunction0;
import org.apache.jena.sparql.expr.ExprFunction1;
import org.apache.jena.sparql.expr.ExprFunctionN;
import org.apache.jena.sparql.expr.ExprVisitorBase;
import org.apache.jena.sparql.expr.Unstable;
import org.fusekicdc.live.QueryPatterns;
import org.fusekicdc.live.QueryPatterns.QuadPattern;
import org.fusekicdc.rsp.Commit;

/**
 * The dataset part of an incremental query (the enrichment) joined with each join key, as the
 * groups of the key's rows. A key's rows depend only on the key and the dataset, so they are
 * kept between steps and read again only for keys new to the window, or for every key after a
 * commit added or removed a quad that one of the dataset part's patterns (taken with the
 * live-query engine's {@link QueryPatterns}, in any graph) can match. A dataset part whose
 * answer may change without a commit (SERVICE, RAND(), UUID(), STRUUID(), BNODE(), extension
 * functions) is read at every step.
 */
final class Enrichment {
    private static final Binding[] NONE = new Binding[0];

    private final Op datasetPart;
    private final List<Var> sharedVars;
    private final List<Var> groupVars;
    private final Function<Object, Binding> keyBinding;
    /** What a commit must touch to change the dataset part's answer; null when it is read at every step. */
    private final List<QuadPattern> patterns;
    /** Per join key: the group of each of its rows (a group once per row that gives it). */
    private final Map<Object, Binding[]> groupsByKey = new HashMap<>();

    /**
     * @param keyBinding the binding of the key variables for a join key
     */
    Enrichment(Op datasetPart, List<Var> sharedVars, List<Var> groupVars, Function<Object, Binding> keyBinding) {
        this.datasetPart = datasetPart;
        this.sharedVars = sharedVars;
        this.groupVars = groupVars;
        this.keyBinding = keyBinding;
        this.patterns = stable(datasetPart) ? patterns(datasetPart) : null;
    }

    private static List<QuadPattern> patterns(Op op) {
        try {
            return QueryPatterns.of(op);
        } catch (RuntimeException ex) {
            // SERVICE: a remote endpoint's data changes without a commit here.
            return null;
        }
    }

    /** Whether the dataset part gives the same answer on the same data: no call that differs per evaluation or that we cannot see into. */
    private static boolean stable(Op op) {
        boolean[] unstable = {false};
        ExprVisitorBase calls = new ExprVisitorBase() {
            @Override
            public void visit(ExprFunction0 f) {
                check(f);
            }

            @Override
            public void visit(ExprFunction1 f) {
                check(f);
            }

            @Override
            public void visit(ExprFunctionN f) {
                check(f);
            }

            private void check(Object f) {
                if ( f instanceof Unstable || f instanceof E_Function )
                    unstable[0] = true;
            }
        };
        Walker.walk(op, new OpVisitorBase(), calls);
        return !unstable[0];
    }

    /** A commit was accepted: forget every key's rows if it changed a quad the dataset part can read. */
    void committed(Commit commit) {
        if ( groupsByKey.isEmpty() || patterns == null )
            return;
        if ( touches(commit.added()) || touches(commit.removed()) )
            groupsByKey.clear();
    }

    private boolean touches(List<Quad> quads) {
        for ( Quad q : quads )
            for ( QuadPattern p : patterns )
                if ( term(p.subject(), q.getSubject()) && term(p.predicate(), q.getPredicate()) && term(p.object(), q.getObject()) )
                    return true;
        return false;
    }

    private static boolean term(Node pattern, Node n) {
        if ( pattern == Node.ANY || pattern.equals(n) )
            return true;
        // A literal constant matches by value as the store does ("01"^^xsd:integer is 1).
        return pattern.isLiteral() && n.isLiteral() && pattern.sameValueAs(n);
    }

    /** Read the rows of the keys not kept (all of them when the dataset part is read at every step), and forget keys not given. */
    void refresh(Set<Object> keys, DatasetGraph dataset) {
        if ( patterns == null )
            groupsByKey.clear();
        else if ( groupsByKey.size() > keys.size() )
            groupsByKey.keySet().retainAll(keys);
        Map<Binding, List<Object>> keysByShared = new HashMap<>();
        Table values = TableFactory.create(sharedVars);
        for ( Object key : keys ) {
            if ( groupsByKey.containsKey(key) )
                continue;
            Binding shared = project(keyBinding.apply(key), sharedVars);
            List<Object> l = keysByShared.get(shared);
            if ( l == null ) {
                l = new ArrayList<>();
                keysByShared.put(shared, l);
                values.addBinding(shared);
            }
            l.add(key);
        }
        if ( keysByShared.isEmpty() )
            return;
        Map<Object, List<Binding>> read = new HashMap<>();
        QueryIterator rows = Algebra.exec(OpJoin.create(OpTable.create(values), datasetPart), dataset);
        try {
            while ( rows.hasNext() ) {
                Binding row = rows.next();
                for ( Object key : keysByShared.getOrDefault(project(row, sharedVars), List.of()) ) {
                    Binding full = BindingFactory.builder(row).addAll(keyBinding.apply(key)).build();
                    read.computeIfAbsent(key, k -> new ArrayList<>(1)).add(project(full, groupVars));
                }
            }
        } finally {
            rows.close();
        }
        for ( List<Object> l : keysByShared.values() )
            for ( Object key : l ) {
                List<Binding> groups = read.get(key);
                groupsByKey.put(key, groups == null ? NONE : groups.toArray(NONE));
            }
    }

    /** The groups of a key's rows, as of the last {@link #refresh} that was given it. */
    Binding[] groups(Object key) {
        return groupsByKey.getOrDefault(key, NONE);
    }

    static Binding project(Binding b, List<Var> vars) {
        BindingBuilder builder = BindingFactory.builder();
        for ( Var v : vars ) {
            Node n = b.get(v);
            if ( n != null )
                builder.add(v, n);
        }
        return builder.build();
    }
}
