package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.op.OpBGP;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.Expr;
import org.apache.jena.sparql.expr.ExprList;
import org.apache.jena.sparql.function.FunctionEnvBase;
import org.fusekicdc.rsp.RspVocab;

/**
 * A WINDOW block that is a star: triple patterns on one subject variable with constant
 * predicates, optionally filtered. Its solutions for a subject depend only on that subject's
 * triples in the window, which is what lets {@link IncrementalAggregation} re-match only the
 * subjects an event touches.
 * <p>
 * Compiled for matching without bindings: the star's variables are numbered (slot 0 is the
 * subject), a solution is an array of nodes by slot, and its predicates are numbered so that
 * a subject's triples are matched by comparing ints.
 */
final class StarPattern {
    private static final FunctionEnvBase FUNCTION_ENV = new FunctionEnvBase();

    private final List<Var> vars;
    private final PredicateIds predicateIds;
    /** Per triple pattern, in order: its predicate's id, its object's slot (-1 for a constant) and the constant. */
    private final int[] patternPredicates;
    private final int[] objectSlots;
    private final Node[] objectConstants;
    /** Ids of cdc:time and cdc:version, -1 when the star does not read them. */
    private final int timeId;
    private final int versionId;
    private final ExprList filter;
    /** The last event time and version as nodes: a commit's events share them, so each is made once. */
    private long lastTime = Long.MIN_VALUE;
    private Node lastTimeNode;
    private long lastVersion = Long.MIN_VALUE;
    private Node lastVersionNode;
    /** The row being matched, by slot. */
    private final Node[] row;

    private StarPattern(Var subject, List<Triple> patterns, ExprList filter) {
        this.filter = filter;
        List<Var> slots = new ArrayList<>();
        slots.add(subject);
        int n = patterns.size();
        patternPredicates = new int[n];
        objectSlots = new int[n];
        objectConstants = new Node[n];
        predicateIds = new PredicateIds(patterns.stream().map(Triple::getPredicate).toList());
        for ( int j = 0; j < n; j++ ) {
            Triple t = patterns.get(j);
            patternPredicates[j] = predicateIds.id(t.getPredicate());
            if ( Var.isVar(t.getObject()) ) {
                Var v = Var.alloc(t.getObject());
                if ( !slots.contains(v) )
                    slots.add(v);
                objectSlots[j] = slots.indexOf(v);
            } else {
                objectSlots[j] = -1;
                objectConstants[j] = t.getObject();
            }
        }
        this.vars = List.copyOf(slots);
        this.row = new Node[vars.size()];
        this.timeId = predicateIds.id(RspVocab.TIME);
        this.versionId = predicateIds.id(RspVocab.VERSION);
    }

    /** The star in {@code op}, or null when {@code op} is not one. */
    static StarPattern of(Op op) {
        ExprList filter = null;
        if ( op instanceof OpFilter f ) {
            filter = f.getExprs();
            op = f.getSubOp();
        }
        if ( !(op instanceof OpBGP bgp) || bgp.getPattern().isEmpty() )
            return null;
        List<Triple> triples = bgp.getPattern().getList();
        Node s = triples.get(0).getSubject();
        if ( !Var.isVar(s) )
            return null;
        for ( Triple t : triples ) {
            if ( !t.getSubject().equals(s) || !t.getPredicate().isURI() || t.getObject().equals(s) )
                return null;
            if ( !Var.isVar(t.getObject()) && !t.getObject().isConcrete() )
                return null;
        }
        StarPattern star = new StarPattern(Var.alloc(s), List.copyOf(triples), filter);
        if ( filter != null && !star.vars().containsAll(filter.getVarsMentioned()) )
            return null;
        return star;
    }

    /** The variables the star binds, by slot (the subject first). */
    List<Var> vars() {
        return vars;
    }

    /** The id of a predicate the star reads, or -1 when it reads no triple with that predicate. */
    int predicateId(Node predicate) {
        return predicateIds.id(predicate);
    }

    /** Whether the star reads {@code cdc:time} or {@code cdc:version}, which every event gives its subject. */
    boolean readsEventProperties() {
        return timeId >= 0 || versionId >= 0;
    }

    /**
     * Add an event's triples, as the window graph holds them, to the subject's multiset, in pane
     * {@code pane}: the quad's triple when the star reads its predicate (its id {@code id}, -1
     * when not), and the event's {@code cdc:time} and {@code cdc:version} when the star reads those.
     */
    void add(StarSubject subject, Event e, int id, long pane) {
        add(subject, e.object(), e.time(), e.version(), id, pane);
    }

    /** {@link #add(StarSubject, Event, int, long)} for the event of quad object {@code object}, time {@code time} and version {@code version}. */
    void add(StarSubject subject, Node object, long time, long version, int id, long pane) {
        if ( id >= 0 )
            subject.add(id, object, pane);
        if ( timeId >= 0 )
            subject.add(timeId, timeNode(time), pane);
        if ( versionId >= 0 )
            subject.add(versionId, versionNode(version), pane);
    }

    private Node timeNode(long time) {
        if ( lastTimeNode == null || time != lastTime ) {
            lastTimeNode = WindowGraphs.time(time);
            lastTime = time;
        }
        return lastTimeNode;
    }

    private Node versionNode(long version) {
        if ( lastVersionNode == null || version != lastVersion ) {
            lastVersionNode = WindowGraphs.version(version);
            lastVersion = version;
        }
        return lastVersionNode;
    }

    /** The star's solutions, as nodes by slot, for the subject whose window triples {@code triples} holds. */
    List<Node[]> solutions(StarSubject triples) {
        List<Node[]> out = new ArrayList<>(2);
        forEachSolution(triples, row -> out.add(row.clone()));
        return out;
    }

    /**
     * Give each of the star's solutions for the subject whose window triples {@code triples}
     * holds to {@code action}, in one array reused from call to call: copy it to keep it.
     */
    void forEachSolution(StarSubject triples, Consumer<Node[]> action) {
        Arrays.fill(row, null);
        row[0] = triples.node;
        match(0, triples, action);
    }

    /** Depth first, binding {@code row} in place: pattern {@code j} on, each complete row that passes the filter given to {@code action}. */
    private void match(int j, StarSubject triples, Consumer<Node[]> action) {
        if ( j == patternPredicates.length ) {
            if ( filter == null || holds(filter, binding(row)) )
                action.accept(row);
            return;
        }
        int slot = objectSlots[j];
        Node wanted = slot < 0 ? objectConstants[j] : row[slot];
        for ( int k = 0; k < triples.size(); k++ ) {
            if ( triples.predicate(k) != patternPredicates[j] )
                continue;
            Node o = triples.object(k);
            if ( wanted != null ) {
                if ( wanted.equals(o) )
                    match(j + 1, triples, action);
            } else {
                row[slot] = o;
                match(j + 1, triples, action);
                row[slot] = null;
            }
        }
    }

    private Binding binding(Node[] row) {
        BindingBuilder b = BindingFactory.builder();
        for ( int i = 0; i < row.length; i++ )
            b.add(vars.get(i), row[i]);
        return b.build();
    }

    /** Whether a filter list holds for a solution (an error is false, as in SPARQL). */
    private static boolean holds(ExprList exprs, Binding b) {
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
}
