package org.fusekicdc.rsp.internal;

import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
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
import org.apache.jena.sparql.algebra.walker.Walker;
import org.apache.jena.sparql.algebra.OpVisitorBase;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.expr.ExprAggregator;
import org.fusekicdc.rsp.Commit;
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
 * use), over the window and, for subjects in one pane, per pane. The window's time is cut into
 * panes (the greatest common divisor of RANGE and STEP), so that each step adds whole panes and
 * drops whole panes. A subject whose window triples all lie in one pane adds its solutions to
 * the window's aggregates and to its pane's; when the pane leaves, its aggregates are
 * subtracted from the window's once per key: a leaving pane costs nothing per event. A subject
 * whose triples span panes ({@link StarSubject#spanning}) is updated as its triples enter and
 * leave (sums and counts by subtraction, MIN/MAX in ordered multisets), with what its solutions
 * added kept with it. Only the subjects an event touches are re-matched. At a step the per-key
 * aggregates are joined with the dataset part's rows of each key ({@link Enrichment}: read for
 * new keys, and for all after a commit that changes a quad the dataset part can match) and
 * combined per group, so a change of reference data is reflected at the next step like in a
 * full evaluation ({@link GroupedAnswer}). Over commit time, the events of the next window are
 * taken in as they become final ({@link #ahead}), so that the step at its end has little left.
 */
final class IncrementalAggregation implements StepEvaluator {
    private final StarPattern star;
    /** The part of the group's pattern outside the WINDOW block, or null. */
    private final Op datasetPart;
    /** The dataset part's rows per join key, kept between steps; null without a dataset part. */
    private final Enrichment enrichment;
    private final GroupedAnswer grouped;
    private final List<AggregateSpec> aggregates;
    /** The length of a pane in milliseconds. */
    private final long paneMillis;

    /** The subjects whose triples span panes; the others are in the table of the pane they are at home in. */
    private final SubjectTable spanning = new SubjectTable();
    /** The window's panes that hold events, oldest first. */
    private final ArrayDeque<WindowPane> panes = new ArrayDeque<>();
    /**
     * The window's aggregates by join key (the key variable's node, or the list of the key
     * variables' nodes when there are several; the panes' are keyed alike): every solution is
     * added here, and, for a subject in one pane, to its pane's too, which leaves with the pane.
     */
    private final Map<Object, KeyAggregates> byKey = new HashMap<>();
    /** Subjects whose triples changed in this step, to re-match once all events are counted. */
    private final List<StarSubject> changed = new ArrayList<>();
    /** The subject of the last entering event: a subject's quads usually come one after the other, so most skip the lookup. */
    private StarSubject lastEntered;
    /** The predicate ids and subject hashes of the events of one time, made in a first pass over them. */
    private int[] runIds = new int[0];
    private int[] runHashes = new int[0];
    private long lastStart = Long.MIN_VALUE;
    private long lastEnd = Long.MIN_VALUE;
    /** The events before this time have entered: those of the last window and those taken in ahead of the next step. */
    private long enteredTo = Long.MIN_VALUE;
    /**
     * The start of the next window when it does not follow the last one (the first window, a
     * tumbling window's next) and its content is being taken in ahead from empty; MIN otherwise.
     */
    private long freshStart = Long.MIN_VALUE;

    private IncrementalAggregation(StarPattern star, Op datasetPart, GroupedAnswer grouped, long paneMillis) {
        this.star = star;
        this.datasetPart = datasetPart;
        this.grouped = grouped;
        this.aggregates = grouped.aggregates();
        this.enrichment = datasetPart == null ? null : new Enrichment(datasetPart, grouped.sharedVars(), grouped.groupVars(), grouped::keyBinding);
        this.paneMillis = paneMillis;
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
        WindowSpec spec = query.windows().get(0);
        long pane = BigInteger.valueOf(spec.range().toMillis()).gcd(BigInteger.valueOf(spec.step().toMillis())).longValueExact();
        if ( pane <= 0 )
            return Optional.empty();
        GroupedAnswer grouped = new GroupedAnswer(op, group, aggregates, query.sparql().getProjectVars(), keyVars, starVars, sharedVars);
        return Optional.of(new IncrementalAggregation(star, datasetPart, grouped, pane));
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

    StarPattern star() {
        return star;
    }

    /** The part of the group's pattern outside the WINDOW block (enrichment), or null. */
    Op datasetPart() {
        return datasetPart;
    }

    /** How the answer is made from the aggregates per join key. */
    GroupedAnswer grouped() {
        return grouped;
    }

    @Override
    public void committed(Commit commit) {
        if ( enrichment != null )
            enrichment.committed(commit);
    }

    @Override
    public StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now) {
        WindowView w = windows.get(0);
        if ( freshStart == w.start() ) {
            // Its content has been taken in from empty, ahead: the rest only.
            w.store().forEachRun(enteredTo, w.end(), this::enter);
        } else if ( freshStart != Long.MIN_VALUE || !follows(w) ) {
            // First step, a window that does not overlap the last one, or one that does not start at a pane: start again from its content.
            clear();
            w.store().forEachRun(w.start(), w.end(), this::enter);
        } else {
            leaveBefore(Math.floorDiv(w.start(), paneMillis));
            w.store().forEachRun(enteredTo, w.end(), this::enter);
        }
        freshStart = Long.MIN_VALUE;
        if ( !panes.isEmpty() )
            panes.peekLast().sealed();
        lastStart = w.start();
        lastEnd = w.end();
        enteredTo = w.end();
        rematchChanged();
        return answer(dataset);
    }

    private void clear() {
        spanning.clear();
        panes.clear();
        byKey.clear();
        changed.clear();
        lastEntered = null;
    }

    /**
     * Events that will enter at the next step are taken in as they become final, a commit or a
     * few behind, while they are in the cache: their subjects are matched and their solutions
     * added to the window's and their pane's aggregates now, and the step at the window's end
     * takes in only the rest, drops the leaving panes and answers. Nothing reads the aggregates
     * between steps, and entering before the leaving panes have left gives the same aggregates
     * (a subject of a leaving pane that gets a new event spans panes, and gives back its
     * leaving triples' solutions when they leave). A next window that does not follow the last
     * one (the first, or a tumbling window's next) is taken in from empty: the last window's
     * step has been made, and nothing of it is kept.
     */
    @Override
    public void ahead(List<WindowView> windows, long before) {
        WindowView w = windows.get(0);
        long to = Math.min(before, w.end());
        if ( freshStart != w.start() && !follows(w) ) {
            clear();
            freshStart = w.start();
            enteredTo = w.start();
        }
        if ( to <= enteredTo )
            return;
        w.store().forEachRun(enteredTo, to, this::enter);
        enteredTo = to;
        rematchChanged();
    }

    /** Whether window {@code w} can be reached from the last one by dropping and adding panes. */
    private boolean follows(WindowView w) {
        return lastEnd != Long.MIN_VALUE && w.start() < lastEnd && w.start() >= lastStart && Math.floorMod(w.start(), paneMillis) == 0;
    }

    private void rematchChanged() {
        // Re-matching removes subjects left empty, so the last one entered may be gone by the next entering.
        lastEntered = null;
        for ( StarSubject s : changed )
            rematch(s);
        changed.clear();
    }

    /** Drop the panes before pane {@code pane}: their own aggregates at once, the spanning subjects' triples one by one. */
    private void leaveBefore(long pane) {
        while ( !panes.isEmpty() && panes.peekFirst().id < pane ) {
            WindowPane p = panes.pollFirst();
            for ( StarSubject s : p.spanning ) {
                if ( !s.changed )
                    takeAway(s);
                s.dropBefore(pane);
            }
            p.byKey.forEach((key, state) -> {
                KeyAggregates k = byKey.get(key);
                k.window.subtract(state);
                if ( k.window.rows == 0 )
                    byKey.remove(key);
                else if ( k.pane == p )
                    k.pane = null;
            });
            p.clear();
        }
    }

    /**
     * Count the events of one time into their subjects' triples. Each event's quad, subject
     * node and string are cache misses: a first pass, a short loop whose iterations do not wait
     * on each other, reads them and hashes the subjects, so that the misses of successive events
     * overlap; the pass that counts the events then finds them in the cache.
     */
    private void enter(long time, Quad[] quads, long[] versions, int size) {
        if ( runIds.length < size ) {
            runIds = new int[size];
            runHashes = new int[size];
        }
        boolean eventProperties = star.readsEventProperties();
        int entering = 0;
        for ( int k = 0; k < size; k++ ) {
            Quad q = quads[k];
            int id = star.predicateId(q.getPredicate());
            runIds[k] = id;
            if ( id >= 0 || eventProperties ) {
                runHashes[k] = SubjectTable.hash(q.getSubject());
                entering++;
            }
        }
        if ( entering == 0 )
            return;
        long paneId = Math.floorDiv(time, paneMillis);
        WindowPane pane = panes.peekLast();
        if ( pane == null || pane.id != paneId ) {
            if ( pane != null )
                pane.sealed();
            pane = new WindowPane(paneId, pane == null ? 0 : pane.size());
            panes.addLast(pane);
        }
        for ( int k = 0; k < size; k++ )
            if ( runIds[k] >= 0 || eventProperties )
                enter(quads[k], time, versions[k], runIds[k], runHashes[k], pane, paneId);
    }

    /** Count an event, its predicate's id {@code id} and its subject's hash {@code hash}, into its subject's triples, in the newest pane; the first change in a step takes the subject's solutions away. */
    private void enter(Quad q, long time, long version, int id, int hash, WindowPane pane, long paneId) {
        Node subject = q.getSubject();
        StarSubject s = lastEntered != null && lastEntered.node == subject ? lastEntered : null;
        if ( s == null ) {
            s = find(subject, hash, pane);
            if ( s == null ) {
                s = new StarSubject(subject, hash, pane);
                pane.add(s);
                s.changed = true;
                changed.add(s);
            } else {
                touch(s, pane);
            }
        } else {
            touch(s, pane);
        }
        lastEntered = s;
        star.add(s, q.getObject(), time, version, id, paneId);
    }

    /** The window's subject of {@code node}: at home in the newest pane, spanning, or at home in an older pane. */
    private StarSubject find(Node node, int hash, WindowPane newest) {
        StarSubject s = newest.get(node, hash);
        if ( s == null && spanning.size() > 0 )
            s = spanning.get(node, hash);
        if ( s != null )
            return s;
        for ( WindowPane p : panes ) {
            if ( p == newest )
                break;
            s = p.get(node, hash);
            if ( s != null )
                return s;
        }
        return null;
    }

    /** A subject already in the window gets an event in {@code pane}. */
    private void touch(StarSubject s, WindowPane pane) {
        if ( !s.changed )
            takeAway(s);
        if ( !s.spanning && s.home != pane ) {
            s.startSpanning();
            s.home.spanning.add(s);
            spanning.add(s);
        }
        if ( s.spanning && s.newestPane() != pane.id )
            pane.spanning.add(s);
    }

    /** Take a subject's solutions away from the aggregates, until it is re-matched at the end of the step. */
    private void takeAway(StarSubject s) {
        if ( s.spanning ) {
            for ( StarSubject.Contribution c : s.contributions )
                subtract(c.key(), c.row(), null);
            s.contributions = List.of();
        } else {
            // Its solutions were not kept: matching its triples again gives the same ones.
            star.forEachSolution(s, row -> subtract(grouped.key(row), row, s.home));
        }
        s.changed = true;
        changed.add(s);
    }

    /** Take a solution away from the window's aggregates and, when {@code pane} is not null, from that pane's. */
    private void subtract(Object key, Node[] row, WindowPane pane) {
        KeyAggregates k = byKey.get(key);
        k.window.add(row, -1);
        if ( k.window.rows == 0 )
            byKey.remove(key);
        if ( pane != null ) {
            AggregateState state = pane.byKey.get(key);
            state.add(row, -1);
            if ( state.rows == 0 ) {
                pane.byKey.remove(key);
                if ( k.pane == pane )
                    k.pane = null;
            }
        }
    }

    /** Add the solutions of a subject whose triples changed to its pane's aggregates, or, spanning, to the spanning ones, kept with it. */
    private void rematch(StarSubject s) {
        s.changed = false;
        if ( s.isEmpty() ) {
            // Only a spanning subject loses triples (a pane's own leave with it).
            spanning.remove(s);
            return;
        }
        if ( !s.spanning ) {
            star.forEachSolution(s, row -> addInPane(row, s.home));
            return;
        }
        List<Node[]> rows = star.solutions(s);
        if ( rows.isEmpty() )
            return;
        List<StarSubject.Contribution> added = new ArrayList<>(rows.size());
        for ( Node[] row : rows ) {
            Object key = grouped.key(row);
            KeyAggregates k = aggregatesOf(key);
            k.window.add(row, +1);
            added.add(new StarSubject.Contribution(key, k.window, row));
        }
        s.contributions = added;
    }

    /** Add a solution of a subject at home in {@code pane} to the window's aggregates and the pane's. */
    private void addInPane(Node[] row, WindowPane pane) {
        Object key = grouped.key(row);
        KeyAggregates k = aggregatesOf(key);
        if ( k.pane != pane ) {
            k.pane = pane;
            k.inPane = pane.byKey.computeIfAbsent(key, x -> new AggregateState(aggregates));
        }
        k.window.add(row, +1, k.inPane);
    }

    private KeyAggregates aggregatesOf(Object key) {
        KeyAggregates k = byKey.get(key);
        if ( k == null ) {
            k = new KeyAggregates(new AggregateState(aggregates));
            byKey.put(key, k);
        }
        return k;
    }

    /**
     * A join key's aggregates over the window, and the last pane a solution of it went to with
     * that pane's aggregates of it: a step's solutions mostly go to one pane, so most skip a lookup.
     */
    private static final class KeyAggregates {
        final AggregateState window;
        WindowPane pane;
        AggregateState inPane;

        KeyAggregates(AggregateState window) {
            this.window = window;
        }
    }

    /** Join the per-key aggregates with the dataset part (its rows kept per key between steps), combine per group, and run the operators above the group. */
    private StepResult answer(DatasetGraph dataset) {
        List<Var> groupVars = grouped.groupVars();
        Map<Binding, AggregateState> groups = new LinkedHashMap<>();
        if ( enrichment == null ) {
            byKey.forEach((key, k) -> groups.computeIfAbsent(Enrichment.project(grouped.keyBinding(key), groupVars), g -> new AggregateState(aggregates)).merge(k.window));
        } else if ( !byKey.isEmpty() ) {
            enrichment.refresh(byKey.keySet(), dataset);
            byKey.forEach((key, k) -> {
                for ( Binding g : enrichment.groups(key) )
                    groups.computeIfAbsent(g, x -> new AggregateState(aggregates)).merge(k.window);
            });
        }
        return grouped.aboveGroup(groups, dataset);
    }
}
