package org.fusekicdc.rsp.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.Triple;
import org.apache.jena.sparql.algebra.Algebra;
import org.apache.jena.sparql.algebra.Op;
import org.apache.jena.sparql.algebra.OpVars;
import org.apache.jena.sparql.algebra.Table;
import org.apache.jena.sparql.algebra.TableFactory;
import org.apache.jena.sparql.algebra.op.OpTable;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.QueryIterator;
import org.apache.jena.sparql.engine.binding.Binding;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.WindowSpec;

/**
 * A continuous query whose work can be split by key across processes: the incremental plan's
 * shape ({@link IncrementalAggregation}: a grouped COUNT/SUM/AVG/MIN/MAX over one window whose
 * WINDOW block is a star, joined with any dataset part) over one commit-time window, with
 * nothing above the group that reads the dataset or keeps groups by their order (EXISTS, LIMIT,
 * OFFSET). Such a query's solutions for one star subject depend on that subject's window
 * triples only, and its aggregates per join key merge exactly (sums are exact), so it splits in three:
 * <ol>
 * <li>the dataset side ({@link #events}, and {@link #datasetSide} in the dataset's engine): each
 * commit's events by star subject, and the steps (numbers, windows, versions) with the solutions
 * of the dataset part at each step's version;</li>
 * <li>the keyed side ({@link Partial}): per subject, its triples in the step's window matched
 * against the star, the solutions' aggregates kept per join key;</li>
 * <li>the assembly ({@link #answer}, {@link #step}): every part's aggregates merged per join key,
 * joined with the dataset part's solutions, combined per group and run through the operators
 * above the group exactly as the incremental plan does, then the query's operator.</li>
 * </ol>
 * The answers are those of the in-server engine, up to the order of rows without ORDER BY.
 */
public final class SplitPlan {
    private static final DatasetGraph NO_DATASET = DatasetGraphFactory.empty();

    private final ContinuousQuery query;
    private final WindowSpec window;
    private final IncrementalAggregation plan;
    private final List<Var> datasetVars;

    private SplitPlan(ContinuousQuery query, IncrementalAggregation plan) {
        this.query = query;
        this.window = query.windows().get(0);
        this.plan = plan;
        this.datasetVars = plan.datasetPart() == null ? List.of() : List.copyOf(OpVars.visibleVars(plan.datasetPart()));
    }

    /** The plan for the query, or empty when its work cannot be split by key (it then runs whole, per dataset). */
    public static Optional<SplitPlan> of(ContinuousQuery query) {
        if ( query.windows().size() != 1 || query.windows().get(0).kind() != WindowSpec.Kind.TIME || query.windows().get(0).eventTime() )
            return Optional.empty();
        return IncrementalAggregation.plan(query).filter(p -> p.grouped().aboveGroupReadsOnlyGroups()).map(p -> new SplitPlan(query, p));
    }

    public ContinuousQuery query() {
        return query;
    }

    /** The query's window (a commit-time RANGE/STEP window). */
    public WindowSpec window() {
        return window;
    }

    /**
     * The commit's events the star can read, by subject in order of appearance: the quads of the
     * window's stream (and graph) whose predicate the star reads, or all of them when the star
     * reads {@code cdc:time} or {@code cdc:version} (every event gives its subject those).
     */
    public Map<Node, List<Triple>> events(Commit commit) {
        StarPattern star = plan.star();
        Map<Node, List<Triple>> out = new LinkedHashMap<>();
        for ( Quad q : StreamEvents.quads(commit, window) )
            if ( star.readsEventProperties() || star.predicateId(q.getPredicate()) >= 0 )
                out.computeIfAbsent(q.getSubject(), s -> new ArrayList<>()).add(q.asTriple());
        return out;
    }

    /** The dataset side's evaluator: at each step, the solutions of the dataset part (none when the query has none). */
    StepEvaluator datasetSide() {
        Op datasetPart = plan.datasetPart();
        return new StepEvaluator() {
            @Override
            public StepResult evaluate(List<WindowView> windows, DatasetGraph dataset, long now) {
                List<Binding> rows = new ArrayList<>();
                if ( datasetPart != null ) {
                    QueryIterator it = Algebra.exec(datasetPart, dataset);
                    try {
                        it.forEachRemaining(rows::add);
                    } finally {
                        it.close();
                    }
                }
                return new StepResult.Rows(datasetVars, rows);
            }

            @Override
            public boolean incremental() {
                return false;
            }
        };
    }

    /** A subject's triples from one commit in the window: the commit's version and the time it was taken at. */
    public record SubjectEvents(long version, long time, List<Triple> triples) {}

    /** A part's aggregates per join key for one step. */
    public Partial partial() {
        return new Partial();
    }

    /** The aggregates, per join key, of the star solutions of some subjects over one window. */
    public final class Partial {
        private final Map<Object, AggregateState> byKey = new LinkedHashMap<>();
        private final WindowPane pane = new WindowPane(0, 16);

        private Partial() {}

        /** Add a subject's solutions: its triples in the window, each commit's as it entered. */
        public void subject(Node subject, List<SubjectEvents> events) {
            StarPattern star = plan.star();
            StarSubject triples = new StarSubject(subject, 0, pane);
            for ( SubjectEvents e : events )
                for ( Triple t : e.triples() )
                    star.add(triples, new Event(Quad.create(Quad.defaultGraphIRI, t), e.time(), e.version()), star.predicateId(t.getPredicate()),
                             pane.id);
            for ( Node[] row : star.solutions(triples) )
                byKey.computeIfAbsent(plan.grouped().key(row), k -> new AggregateState(plan.grouped().aggregates())).add(row, +1);
        }

        /** The keys and their aggregates, for {@link SplitPlan#answer}. */
        public byte[] toBytes() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                int width = plan.grouped().keyVars().size();
                out.writeInt(byKey.size());
                for ( Map.Entry<Object, AggregateState> e : byKey.entrySet() ) {
                    if ( width == 1 )
                        Terms.write(out, (Node)e.getKey());
                    else
                        for ( Object n : (List<?>)e.getKey() )
                            Terms.write(out, (Node)n);
                    e.getValue().write(out);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return bytes.toByteArray();
        }
    }

    /**
     * The step's whole answer (as RSTREAM): the parts' aggregates ({@link Partial#toBytes})
     * merged per join key, joined with the dataset part's solutions at the step's version
     * ({@link #rows} of the dataset side's step), combined per group, then the operators above the group.
     */
    public StepResult answer(List<byte[]> partials, StepResult.Rows datasetSolutions) {
        Map<Object, AggregateState> states = new LinkedHashMap<>();
        int width = plan.grouped().keyVars().size();
        for ( byte[] p : partials ) {
            try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(p))) {
                int keys = in.readInt();
                for ( int k = 0; k < keys; k++ ) {
                    Object key;
                    if ( width == 1 ) {
                        key = Terms.read(in);
                    } else {
                        Node[] nodes = new Node[width];
                        for ( int i = 0; i < width; i++ )
                            nodes[i] = Terms.read(in);
                        key = Arrays.asList(nodes);
                    }
                    AggregateState state = AggregateState.read(plan.grouped().aggregates(), in);
                    AggregateState sum = states.get(key);
                    if ( sum == null )
                        states.put(key, sum = new AggregateState(plan.grouped().aggregates()));
                    sum.merge(state);
                }
            } catch (IOException ex) {
                throw new UncheckedIOException("A partial of continuous query <" + query.name() + "> cannot be read: " + ex.getMessage(), ex);
            }
        }
        Op datasetSource = null;
        if ( plan.datasetPart() != null ) {
            Table table = TableFactory.create(datasetSolutions.vars());
            datasetSolutions.rows().forEach(table::addBinding);
            datasetSource = OpTable.create(table);
        }
        return plan.grouped().answer(states, datasetSource, NO_DATASET);
    }

    /**
     * The step the query makes: its whole answer at this step, under its operator against the
     * previous step's whole answer (null before the first), as {@code QueryRunner} does.
     */
    public Step step(long number, Instant start, Instant end, long version, StepResult answer, StepResult previous) {
        StepResult emitted = switch (query.operator()) {
            case RSTREAM -> answer;
            case ISTREAM -> QueryRunner.difference(answer, previous);
            case DSTREAM -> QueryRunner.difference(previous, answer);
        };
        return new Step(query.name(), number, start, end, version, query.operator(), emitted != null ? emitted : QueryRunner.empty(answer));
    }

    /** Rows as bytes: what the dataset side's steps carry, and a step's answer kept for the next. */
    public static byte[] rows(StepResult result) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            Terms.writeRows(out, (StepResult.Rows)result);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return bytes.toByteArray();
    }

    /** Rows as {@link #rows} wrote them. */
    public static StepResult.Rows rows(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return Terms.readRows(in);
        } catch (IOException ex) {
            throw new UncheckedIOException("Rows of a split query cannot be read: " + ex.getMessage(), ex);
        }
    }
}
