package org.fusekicdc.rsp.internal;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.op.OpBGP;
import org.apache.jena.sparql.algebra.op.OpFilter;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.expr.ExprList;
import org.fusekicdc.rsp.RspVocab;

/**
 * A WINDOW block that is a star: triple patterns on one subject variable with constant
 * predicates, optionally filtered. Its solutions for a subject depend only on that subject's
 * triples in the window, which is what lets {@link IncrementalAggregation} re-match only the
 * subjects an event touches.
 */
final class StarPattern {
    private final Var subject;
    private final List<Triple> patterns;
    private final ExprList filter;
    private final Set<Node> predicates;
    private final boolean usesEventProperties;

    private StarPattern(Var subject, List<Triple> patterns, ExprList filter) {
        this.subject = subject;
        this.patterns = patterns;
        this.filter = filter;
        this.predicates = new HashSet<>();
        patterns.forEach(t -> predicates.add(t.getPredicate()));
        this.usesEventProperties = predicates.contains(RspVocab.TIME) || predicates.contains(RspVocab.VERSION);
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

    /** The variables the star binds. */
    Set<Var> vars() {
        Set<Var> vars = new LinkedHashSet<>();
        vars.add(subject);
        for ( Triple t : patterns )
            if ( Var.isVar(t.getObject()) )
                vars.add(Var.alloc(t.getObject()));
        return vars;
    }

    /** Whether an event can change the star's solutions for its subject. */
    boolean accepts(Triple t) {
        return usesEventProperties || predicates.contains(t.getPredicate());
    }

    /** Add ({@code sign} 1) or remove (-1) an event's triples, as the window graph holds them, in a subject's multiset. */
    static void change(Map<Triple, Integer> triples, Event e, int sign, StarPattern star) {
        if ( star.predicates.contains(e.triple().getPredicate()) )
            count(triples, e.triple(), sign);
        if ( star.usesEventProperties ) {
            Node s = e.triple().getSubject();
            count(triples, Triple.create(s, RspVocab.TIME, WindowGraphs.time(e.time())), sign);
            count(triples, Triple.create(s, RspVocab.VERSION, WindowGraphs.version(e.version())), sign);
        }
    }

    private static void count(Map<Triple, Integer> triples, Triple t, int sign) {
        triples.merge(t, sign, (a, b) -> a + b == 0 ? null : a + b);
    }

    /** The star's solutions for subject {@code s} whose window triples are the keys of {@code triples}. */
    List<Binding> solutions(Node s, Map<Triple, Integer> triples) {
        List<Binding> partial = List.of(BindingFactory.binding(subject, s));
        for ( Triple p : patterns ) {
            List<Binding> next = new ArrayList<>();
            for ( Binding b : partial ) {
                Node wanted = Var.isVar(p.getObject()) ? b.get(Var.alloc(p.getObject())) : p.getObject();
                for ( Triple t : triples.keySet() ) {
                    if ( !t.getPredicate().equals(p.getPredicate()) )
                        continue;
                    if ( wanted != null ) {
                        if ( wanted.equals(t.getObject()) )
                            next.add(b);
                    } else {
                        next.add(BindingFactory.binding(b, Var.alloc(p.getObject()), t.getObject()));
                    }
                }
            }
            partial = next;
            if ( partial.isEmpty() )
                return partial;
        }
        if ( filter == null )
            return partial;
        List<Binding> out = new ArrayList<>(partial.size());
        for ( Binding b : partial )
            if ( IncrementalAggregation.holds(filter, b) )
                out.add(b);
        return out;
    }
}
