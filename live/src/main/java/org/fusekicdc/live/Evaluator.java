package org.fusekicdc.live;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryCancelledException;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.fusekicdc.core.internal.log.ChangeLog;

/**
 * Evaluates a live query whole, on the snapshot the calling thread has open, within a budget:
 * a time after which Jena cancels the evaluation, and {@link LiveConfig#maxResultRows()}.
 */
final class Evaluator {
    private static final List<Var> TRIPLE_VARS = List.of(Var.alloc("subject"), Var.alloc("predicate"), Var.alloc("object"));

    private final DatasetGraph dsg;
    private final ChangeLog log;
    private final LiveConfig config;

    Evaluator(DatasetGraph dsg, ChangeLog log, LiveConfig config) {
        this.dsg = dsg;
        this.log = log;
        this.config = config;
    }

    /**
     * The answer at {@code atVersion}, on the view of the dataset of {@code owner}'s subscribers. Throws Jena's {@code QueryCancelledException} when the
     * evaluation takes longer than {@code budgetMillis} or {@code owner} is ended meanwhile, and
     * {@link #tooManyRows()} past the row limit.
     */
    LiveResult evaluate(Query query, long atVersion, long budgetMillis, LiveGroup owner) {
        long t0 = System.nanoTime();
        try (QueryExec qe = QueryExec.dataset(owner.view().over().apply(dsg)).query(query).timeout(budgetMillis, TimeUnit.MILLISECONDS).build()) {
            owner.running(qe);
            return evaluate(qe, query, atVersion);
        } finally {
            owner.running(null);
            log.observer().liveEvaluated(System.nanoTime() - t0);
        }
    }

    /**
     * The answer of the group's query at {@code at}, evaluated whole within the costly threshold
     * (ten times that for a query whose last evaluation took under a tenth of it, so that a pause
     * of the whole process, for garbage collection or a starved CPU, does not move a cheap query);
     * for a DISTINCT plan, its counts too.
     */
    LiveResult evaluateWhole(LiveGroup g, long at) {
        long threshold = config.costlyThreshold().toMillis();
        boolean cheap = g.result() != null && g.costNanos < config.costlyThreshold().toNanos() / 10;
        long budget = cheap ? 10 * threshold : threshold;
        if ( g.plan != null && g.plan.distinct() ) {
            try {
                LiveResult all = evaluate(g.plan.whole(), at, budget, g);
                g.counts = new HashMap<>(all.rows());
                Map<Binding, Integer> rows = new HashMap<>();
                all.rows().keySet().forEach(b -> rows.put(b, 1));
                return new LiveResult(at, all.vars(), rows, null);
            } catch (LiveQueryException ex) {
                // Too many solutions to count (though maybe not too many distinct rows): re-run this query from now on.
                g.plan = null;
                g.counts = null;
            }
        }
        return evaluate(g.query(), at, budget, g);
    }

    /**
     * The answer of {@code query} on {@code data} (a state the caller holds open, already seen
     * through the subscriber's view), labelled {@code atVersion}, within the query timeout and the row limit.
     */
    LiveResult evaluateOn(Query query, DatasetGraph data, long atVersion) {
        long t0 = System.nanoTime();
        try (QueryExec qe = QueryExec.dataset(data).query(query).timeout(config.queryTimeout().toMillis(), TimeUnit.MILLISECONDS).build()) {
            return evaluate(qe, query, atVersion);
        } catch (QueryCancelledException ex) {
            throw tooSlow();
        } finally {
            log.observer().liveEvaluated(System.nanoTime() - t0);
        }
    }

    private LiveResult evaluate(QueryExec qe, Query query, long atVersion) {
        if ( query.isAskType() )
            return new LiveResult(atVersion, List.of(), Map.of(), qe.ask());
        Map<Binding, Integer> rows = new HashMap<>();
        List<Var> vars;
        int n = 0;
        if ( query.isConstructType() ) {
            vars = TRIPLE_VARS;
            var it = qe.constructTriples();
            while ( it.hasNext() ) {
                count(++n);
                rows.put(row(it.next()), 1);
            }
        } else {
            RowSet rs = qe.select();
            vars = new ArrayList<>(rs.getResultVars());
            while ( rs.hasNext() ) {
                count(++n);
                rows.merge(project(rs.next(), vars), 1, Integer::sum);
            }
        }
        return new LiveResult(atVersion, vars, rows, null);
    }

    private void count(int n) {
        if ( n > config.maxResultRows() )
            throw tooManyRows();
    }

    LiveQueryException tooManyRows() {
        return new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "The answer has more than " + config.maxResultRows()
                                      + " rows, the most a live query may have (cdc:liveMaxResultRows); narrow the query (or use LIMIT).");
    }

    LiveQueryException tooSlow() {
        return new LiveQueryException(LiveQueryException.Kind.TOO_EXPENSIVE, "The query took longer than " + config.queryTimeout().toSeconds()
                                      + " s to evaluate, the most allowed for a live query (cdc:liveQueryTimeoutSeconds); narrow the query.");
    }

    /**
     * The row over the result variables only. Rows can also bind hidden variables (path steps,
     * aggregates, SELECT * over a path): rows equal to the client would differ, so an unchanged
     * row could be sent as removed and added again, and the parent bindings would be kept alive.
     */
    static Binding project(Binding b, List<Var> vars) {
        BindingBuilder builder = Binding.builder();
        for ( Var v : vars ) {
            Node n = b.get(v);
            if ( n != null )
                builder.add(v, n);
        }
        return builder.build();
    }

    private static Binding row(Triple t) {
        return BindingFactory.binding(TRIPLE_VARS.get(0), t.getSubject(), TRIPLE_VARS.get(1), t.getPredicate(), TRIPLE_VARS.get(2), t.getObject());
    }
}
