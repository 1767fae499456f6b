package org.fusekicdc.bench;

import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;

/**
 * Our engine's half of the side-by-side with a published RDF stream processor (RSP4J; its half
 * is {@code bench/peer/rsp4j/Rsp4jPeer.java}): the same recorded stream (sensor observations,
 * two quads each, {@code batch} per commit, commits evenly over {@code spanMillis} from
 * 2026-01-01T00:00:00Z) and the query both engines can run, a tumbling one-second window
 * counting the observations' results. Prints the throughput of the feeding thread and writes one
 * line per step, "windowEnd count" (epoch milliseconds), to {@code out}; steps of empty windows
 * are left out, as RSP4J reports none for them.
 * <pre>java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.RspSideBySide events batch spanMillis out</pre>
 */
public final class RspSideBySide {
    static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    private static final String QUERY = """
        REGISTER RSTREAM <urn:out:count> AS SELECT (COUNT(?obs) AS ?n)
        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT1S]
        WHERE { WINDOW <urn:w> { ?obs <http://www.w3.org/ns/sosa/hasSimpleResult> ?t } }
        """;

    private RspSideBySide() {}

    public static void main(String... args) throws Exception {
        long events = Long.parseLong(args[0]);
        int batch = Integer.parseInt(args[1]);
        long span = Long.parseLong(args[2]);
        Path out = Path.of(args[3]);
        Node sensor = NodeFactory.createURI("http://www.w3.org/ns/sosa/madeBySensor");
        Node result = NodeFactory.createURI("http://www.w3.org/ns/sosa/hasSimpleResult");
        long observations = events / 2;
        long commits = observations / batch;
        List<Commit> stream = new ArrayList<>((int)commits);
        long obs = 0;
        for ( long c = 0; c < commits; c++ ) {
            List<Quad> added = new ArrayList<>(2 * batch);
            for ( int i = 0; i < batch; i++, obs++ ) {
                Node o = NodeFactory.createURI("http://example.org/o" + obs);
                added.add(Quad.create(Quad.defaultGraphIRI, o, sensor, NodeFactory.createURI("http://example.org/s" + (obs * 7919 % 1000))));
                added.add(Quad.create(Quad.defaultGraphIRI, o, result, NodeFactory.createLiteralDT(Long.toString(obs % 40), XSDDatatype.XSDinteger)));
            }
            stream.add(new Commit(c + 1, Instant.ofEpochMilli(T0 + c * span / commits), added, List.of()));
        }
        DatasetGraph empty = DatasetGraphFactory.createTxnMem();
        StreamEngine engine = new StreamEngine("side-by-side", new StreamEngineConfig(20_000_000, true), version -> {
            empty.begin(TxnType.READ);
            return new VersionReader.View() {
                @Override
                public DatasetGraph dataset() {
                    return empty;
                }

                @Override
                public void close() {
                    empty.end();
                }
            };
        });
        List<String> answers = new ArrayList<>();
        engine.register(ContinuousQuery.parse(QUERY), step -> {
            StepResult.Rows rows = (StepResult.Rows)step.result();
            long n = rows.rows().isEmpty() ? 0 : Long.parseLong(rows.rows().get(0).get(org.apache.jena.sparql.core.Var.alloc("n")).getLiteralLexicalForm());
            if ( n > 0 )
                answers.add(step.windowEnd().toEpochMilli() + " " + n);
        });
        System.gc();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for ( Commit c : stream )
            engine.accept(c);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
        engine.close();
        System.out.printf(Locale.ROOT, "fuseki-cdc rsp: %,d quad events in %,d commits: %.2f s wall = %,.0f events/s; %.2f s CPU = %,.0f events per CPU second; %d steps; load %s%n",
                          2 * observations, commits, secs, 2 * observations / secs, cpu, 2 * observations / cpu, answers.size(), BenchStats.loadAverage());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            answers.forEach(w::println);
        }
    }
}
