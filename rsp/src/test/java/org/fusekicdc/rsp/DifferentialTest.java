package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigDecimal;
import java.math.MathContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.Query;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.exec.QueryExec;
import org.apache.jena.sparql.exec.RowSet;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.system.Txn;
import org.fusekicdc.rsp.ExpectedSteps.Advanced;
import org.fusekicdc.rsp.ExpectedSteps.Committed;
import org.fusekicdc.rsp.ExpectedSteps.Ev;
import org.fusekicdc.rsp.ExpectedSteps.Expected;
import org.fusekicdc.rsp.ExpectedSteps.Fed;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Random timestamped streams (deletes, out-of-order event times, reference-data changes)
 * against many random continuous queries. The steps each query must make are worked out from
 * the commits and times fed and the query's windows alone ({@link ExpectedSteps}: which window
 * ends, sessions or commits report, the version each reads, each window's events); the engine
 * must make exactly those, in order (a missing, extra or misplaced step fails), and each must
 * equal a naive evaluation: the window's events as a graph beside a copy of the dataset
 * replayed to that version, the query run by Jena, diffed with the previous step for
 * ISTREAM/DSTREAM.
 */
class DifferentialTest {
    private static final String EX = "http://example.org/";
    private static final Node TS = NodeFactory.createURI(EX + "ts");

    private static final String[] QUERIES = {
        """
        SELECT ?room (AVG(?v) AS ?a) (SUM(?v) AS ?s) (COUNT(*) AS ?n) (MIN(?v) AS ?lo) (MAX(?v) AS ?hi) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:value ?v } ?sen ex:inRoom ?room } GROUP BY ?room
        """,
        """
        SELECT ?k (COUNT(?o) AS ?n) (MAX(?v) AS ?hi) (AVG(?v) AS ?a) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:kind ?k ; ex:value ?v FILTER(?v > 5) } } GROUP BY ?k
        """,
        """
        SELECT (COUNT(*) AS ?n) (SUM(?v) AS ?s) (AVG(?v) AS ?a) (MIN(?v) AS ?lo) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:value ?v } }
        """,
        """
        SELECT ?sen (COUNT(*) AS ?n) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } ?sen ex:inRoom ?r } GROUP BY ?sen HAVING (COUNT(*) > 1) ORDER BY DESC(?n) ?sen LIMIT 3
        """,
        """
        SELECT ?room (MIN(?ver) AS ?first) (MAX(?ver) AS ?last) (COUNT(*) AS ?n) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; cdc:version ?ver } ?sen ex:inRoom ?room } GROUP BY ?room
        """,
        """
        SELECT ?o ?room WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } OPTIONAL { ?sen ex:inRoom ?room } }
        """,
        """
        SELECT ?a ?b WINDOWS
        WHERE { WINDOW <urn:w> { ?a ex:kind ex:A ; cdc:time ?ta . ?b ex:kind ex:B ; cdc:time ?tb }
                FILTER(?tb > ?ta && ?tb <= ?ta + "PT20S"^^xsd:dayTimeDuration) }
        """,
        """
        SELECT ?sen WINDOWS
        WHERE { ?sen ex:inRoom ?r FILTER NOT EXISTS { WINDOW <urn:w> { ?o ex:sensor ?sen } } }
        """,
        """
        ASK WINDOWS WHERE { WINDOW <urn:w> { ?o ex:kind ex:B } }
        """,
        """
        CONSTRUCT { ?sen ex:seenIn ?room } WINDOWS WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } ?sen ex:inRoom ?room }
        """,
        """
        SELECT ?sen (COUNT(*) AS ?n) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen } WINDOW <urn:w2> { ?o2 ex:sensor ?sen } } GROUP BY ?sen
        """,
        """
        SELECT ?room ?k (COUNT(*) AS ?n) (SUM(?v) AS ?s) (MAX(?v) AS ?hi) WINDOWS
        WHERE { WINDOW <urn:w> { ?o ex:sensor ?sen ; ex:kind ?k ; ex:value ?v } ?sen ex:inRoom ?room } GROUP BY ?room ?k
        """,
        """
        SELECT ?room (COUNT(*) AS ?n) (MIN(?v) AS ?lo) (AVG(?v) AS ?a) WINDOWS
        WHERE { WINDOW <urn:w> { ?sen ex:reading ?v ; cdc:version ?ver } ?sen ex:inRoom ?room } GROUP BY ?room
        """,
    };

    private record Registered(ContinuousQuery query, List<Step> steps, List<ContinuousQueryException> failures) {}

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void everyStepEqualsANaiveEvaluationOverTheLog(long seed) {
        Random rnd = new Random(seed);
        TestStream s = new TestStream();
        List<Registered> queries = new ArrayList<>();
        for ( int i = 0; i < 22; i++ ) {
            String template = QUERIES[i % QUERIES.length];
            boolean twoWindows = template.contains("<urn:w2>");
            String windows = window(rnd, "urn:w", twoWindows);
            if ( twoWindows )
                windows += "\n" + windows.replace("<urn:w>", "<urn:w2>").replaceAll("RANGE PT\\d+S", "RANGE PT" + (20 + rnd.nextInt(4) * 20) + "S");
            String op = List.of("RSTREAM", "ISTREAM", "DSTREAM").get(rnd.nextInt(3));
            String text = TestStream.PREFIXES + "REGISTER " + op + " <urn:q:" + i + "> AS\n" + template.replace("WINDOWS", windows);
            Registered r = new Registered(ContinuousQuery.parse(text), new ArrayList<>(), new ArrayList<>());
            s.engine().register(r.query(), new StepListener() {
                @Override
                public void step(Step step) {
                    r.steps().add(step);
                }

                @Override
                public void failed(String query, ContinuousQueryException error) {
                    r.failures().add(error);
                }
            });
            queries.add(r);
        }
        List<Fed> feed = feed(s, rnd, 100);
        // The dataset at each version, with room for the windows as named graphs.
        Map<Long, DatasetGraph> copies = new HashMap<>();
        int compared = 0;
        for ( Registered r : queries ) {
            assertEquals(List.of(), r.failures(), r.query().text());
            List<Expected> expected = ExpectedSteps.of(r.query(), feed);
            // Which steps, their windows and versions first: a missing, extra or misplaced step fails here.
            assertSameSteps(expected.stream().map(Expected::header).toList(), r.steps().stream().map(DifferentialTest::header).toList(),
                            r.query().text());
            StepResult before = null;
            for ( int i = 0; i < expected.size(); i++ ) {
                Step step = r.steps().get(i);
                StepResult now = whole(s, copies, r.query(), expected.get(i));
                assertEquals(canonical(emitted(r.query().operator(), now, before)), canonical(step.result()),
                             header(step) + " of " + r.query().text());
                before = now;
                compared++;
            }
        }
        assertTrue(compared > 300, "enough steps to compare: " + compared);
        long incremental = s.engine().status().stream().filter(QueryStatus::incremental).count();
        assertTrue(incremental >= 4, "the aggregate templates over time windows run incrementally: " + incremental);
    }

    /** The first step where the engine's list differs from the expected one, with the steps around it. */
    private static void assertSameSteps(List<String> expected, List<String> actual, String query) {
        int i = 0;
        while ( i < expected.size() && i < actual.size() && expected.get(i).equals(actual.get(i)) )
            i++;
        if ( i == expected.size() && i == actual.size() )
            return;
        int from = Math.max(0, i - 2);
        fail("steps differ at #" + i + " (" + expected.size() + " expected, " + actual.size() + " made) of " + query
             + "\nexpected: " + expected.subList(from, Math.min(expected.size(), i + 3))
             + "\nmade:     " + actual.subList(from, Math.min(actual.size(), i + 3)));
    }

    private static String header(Step step) {
        return "step " + step.number() + " [" + step.windowStart() + ", " + step.windowEnd() + ") at version " + step.version();
    }

    private static String window(Random rnd, String iri, boolean timeOnly) {
        String stream = rnd.nextInt(5) == 0 ? "cdc:removed" : "cdc:added";
        String graph = rnd.nextInt(4) == 0 ? " GRAPH ex:g1" : "";
        int kind = timeOnly ? 0 : rnd.nextInt(6);
        int range = List.of(30, 60, 120).get(rnd.nextInt(3));
        int step = List.of(10, 30, 60).get(rnd.nextInt(3));
        String shape = switch (kind) {
            case 0, 1 -> "[RANGE PT" + range + "S STEP PT" + step + "S]";
            case 2, 3 -> "[RANGE PT" + range + "S STEP PT" + step + "S TIME ex:ts LATENESS PT" + List.of(0, 10, 30).get(rnd.nextInt(3)) + "S]";
            case 4 -> "[ROWS " + List.of(3, 10, 40).get(rnd.nextInt(3)) + "]";
            default -> "[SESSION GAP PT" + List.of(15, 40).get(rnd.nextInt(2)) + "S" + (rnd.nextBoolean() ? " TIME ex:ts LATENESS PT10S" : "") + "]";
        };
        return "FROM NAMED WINDOW <" + iri + "> ON " + stream + graph + " " + shape;
    }

    /** A random stream: observations (some with earlier event times), deletes, sensors moving between rooms. */
    private static List<Fed> feed(TestStream s, Random rnd, int commits) {
        List<Fed> fed = new ArrayList<>();
        long t = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        fed.add(new Committed(s.commit(Instant.ofEpochMilli(t), "ex:s0 ex:inRoom ex:r0 . ex:s1 ex:inRoom ex:r0 . ex:s2 ex:inRoom ex:r1 . ex:s3 ex:inRoom ex:r2 .")));
        int nextObs = 0;
        List<Node> observations = new ArrayList<>();
        for ( int c = 0; c < commits; c++ ) {
            long delta = 1000L * (1 + rnd.nextInt(25));
            if ( rnd.nextInt(3) == 0 )
                fed.add(advance(s, Instant.ofEpochMilli(t + rnd.nextLong(delta))));
            t += delta;
            DatasetGraph head = s.datasetAt(s.commits().size());
            List<Quad> added = new ArrayList<>();
            List<Quad> removed = new ArrayList<>();
            int kind = rnd.nextInt(20);
            if ( kind < 13 ) {
                for ( int i = 0, n = 1 + rnd.nextInt(3); i < n; i++ ) {
                    Node o = rnd.nextInt(10) == 0 && !observations.isEmpty() ? observations.get(rnd.nextInt(observations.size())) : uri("o" + nextObs++);
                    Node g = uri(rnd.nextBoolean() ? "g1" : "g2");
                    Node value = rnd.nextInt(4) == 0 ? NodeFactory.createLiteralDT(rnd.nextInt(20) + ".5", XSDDatatype.XSDdecimal)
                        : NodeFactory.createLiteralDT(Integer.toString(rnd.nextInt(20)), XSDDatatype.XSDinteger);
                    long eventTime = t - 1000L * rnd.nextInt(60);
                    Node sensor = uri("s" + rnd.nextInt(5));
                    // Sensors as subjects: each holds many readings in a window.
                    for ( Quad q : List.of(Quad.create(g, o, uri("sensor"), sensor),
                                           Quad.create(g, sensor, uri("reading"), value),
                                           Quad.create(g, o, uri("value"), value),
                                           Quad.create(g, o, uri("kind"), uri(rnd.nextBoolean() ? "A" : "B")),
                                           Quad.create(g, o, TS, NodeFactory.createLiteralDT(Instant.ofEpochMilli(eventTime).toString(), XSDDatatype.XSDdateTime))) )
                        if ( !Txn.calculateRead(head, () -> head.contains(q)) && !added.contains(q) )
                            added.add(q);
                    observations.add(o);
                }
            } else if ( kind < 17 && !observations.isEmpty() ) {
                Node o = observations.get(rnd.nextInt(observations.size()));
                Txn.executeRead(head, () -> head.find(Node.ANY, o, Node.ANY, Node.ANY).forEachRemaining(removed::add));
            } else {
                Node sensor = uri("s" + rnd.nextInt(5));
                Txn.executeRead(head, () -> head.find(Quad.defaultGraphIRI, sensor, uri("inRoom"), Node.ANY).forEachRemaining(removed::add));
                added.add(Quad.create(Quad.defaultGraphIRI, sensor, uri("inRoom"), uri("r" + rnd.nextInt(3))));
                added.removeAll(removed);
            }
            fed.add(new Committed(s.commit(Instant.ofEpochMilli(t), added, removed)));
        }
        // Long enough for the longest window and session to close after the last commit.
        fed.add(advance(s, Instant.ofEpochMilli(t + 200_000)));
        return fed;
    }

    private static Fed advance(TestStream s, Instant now) {
        s.engine().advanceTo(now);
        return new Advanced(now);
    }

    private static Node uri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    // ---- The naive answers.

    /** What the step must emit: the whole answer for RSTREAM (and ASK), else diffed with the previous step's whole answer. */
    private static StepResult emitted(StreamOperator op, StepResult now, StepResult before) {
        if ( op == StreamOperator.RSTREAM || now instanceof StepResult.Bool )
            return now;
        if ( op == StreamOperator.ISTREAM )
            return minus(now, before);
        return before == null ? empty(now) : minus(before, now);
    }

    /** The query over the step's windows, each a graph of its events' triples and their cdc:time and cdc:version, beside the dataset at the step's version. */
    private static StepResult whole(TestStream s, Map<Long, DatasetGraph> copies, ContinuousQuery q, Expected step) {
        DatasetGraph ds = copies.computeIfAbsent(step.version(), v -> {
            DatasetGraph copy = DatasetGraphFactory.createGeneral();
            DatasetGraph at = s.datasetAt(v);
            Txn.executeRead(at, () -> at.find().forEachRemaining(copy::add));
            return copy;
        });
        for ( int i = 0; i < q.windows().size(); i++ ) {
            Graph g = GraphFactory.createGraphMem();
            for ( Ev e : step.windows().get(i) ) {
                g.add(e.triple());
                g.add(Triple.create(e.triple().getSubject(), RspVocab.TIME, NodeFactory.createLiteralDT(Instant.ofEpochMilli(e.time()).toString(), XSDDatatype.XSDdateTime)));
                g.add(Triple.create(e.triple().getSubject(), RspVocab.VERSION, NodeFactory.createLiteralDT(Long.toString(e.version()), XSDDatatype.XSDinteger)));
            }
            ds.addGraph(q.windows().get(i).iri(), g);
        }
        try {
            return run(q.sparql(), ds);
        } finally {
            q.windows().forEach(w -> ds.removeGraph(w.iri()));
        }
    }

    private static StepResult run(Query query, DatasetGraph ds) {
        try (QueryExec exec = QueryExec.dataset(ds).query(query).build()) {
            if ( query.isAskType() )
                return new StepResult.Bool(exec.ask());
            if ( query.isConstructType() )
                return new StepResult.Triples(exec.construct());
            RowSet rows = exec.select();
            List<Binding> out = new ArrayList<>();
            rows.forEachRemaining(out::add);
            return new StepResult.Rows(rows.getResultVars(), out);
        }
    }

    private static StepResult empty(StepResult like) {
        return like instanceof StepResult.Rows r ? new StepResult.Rows(r.vars(), List.of()) : new StepResult.Triples(GraphFactory.createGraphMem());
    }

    private static StepResult minus(StepResult a, StepResult b) {
        if ( b == null )
            return a;
        if ( a instanceof StepResult.Triples ta ) {
            Graph out = GraphFactory.createGraphMem();
            ta.graph().find().forEachRemaining(t -> {
                if ( !((StepResult.Triples)b).graph().contains(t) )
                    out.add(t);
            });
            return new StepResult.Triples(out);
        }
        StepResult.Rows ra = (StepResult.Rows)a;
        List<Binding> left = new ArrayList<>(((StepResult.Rows)b).rows());
        List<Binding> out = new ArrayList<>();
        for ( Binding row : ra.rows() )
            if ( !left.remove(row) )
                out.add(row);
        return new StepResult.Rows(ra.vars(), out);
    }

    /** A result as sorted text, numbers by value (so 2.50 and 2.5 agree). */
    private static String canonical(StepResult r) {
        return switch (r) {
            case StepResult.Bool b -> Boolean.toString(b.value());
            case StepResult.Triples t -> {
                List<String> lines = new ArrayList<>();
                t.graph().find().forEachRemaining(tr -> lines.add(tr.toString()));
                lines.sort(null);
                yield String.join("\n", lines);
            }
            case StepResult.Rows rows -> {
                List<String> lines = new ArrayList<>();
                for ( Binding b : rows.rows() ) {
                    TreeMap<String, String> m = new TreeMap<>();
                    for ( Var v : rows.vars() )
                        m.put(v.getVarName(), term(b.get(v)));
                    lines.add(m.toString());
                }
                lines.sort(null);
                yield rows.vars() + "\n" + String.join("\n", lines);
            }
        };
    }

    private static String term(Node n) {
        if ( n == null )
            return "-";
        if ( n.isLiteral() && n.getLiteralValue() instanceof Number num )
            return new BigDecimal(num.toString()).round(new MathContext(12)).stripTrailingZeros().toPlainString();
        return n.toString();
    }
}
