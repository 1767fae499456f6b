import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.commons.rdf.api.Graph;
import org.apache.commons.rdf.api.IRI;
import org.apache.commons.rdf.api.RDF;
import org.streamreasoning.rsp4j.api.RDFUtils;
import org.streamreasoning.rsp4j.api.querying.ContinuousQuery;
import org.streamreasoning.rsp4j.operatorapi.ContinuousProgram;
import org.streamreasoning.rsp4j.operatorapi.QueryTaskOperatorAPIImpl;
import org.streamreasoning.rsp4j.operatorapi.TaskOperatorAPIImpl;
import org.streamreasoning.rsp4j.yasper.examples.RDFStream;
import org.streamreasoning.rsp4j.yasper.querying.operators.r2r.Binding;
import org.streamreasoning.rsp4j.yasper.querying.syntax.TPQueryFactory;

/**
 * The side-by-side stream run through RSP4J (its operator API over YASPER, built from source; see
 * docs/benchmarks.md, "Stream processing"): the same recorded stream as
 * org.fusekicdc.bench.RspSideBySide (sensor observations, two triples each, {@code batch} per
 * timestamped graph, evenly over {@code spanMillis}), the same windowed COUNT. Prints the
 * throughput and writes one line per step, "windowEnd count", to {@code out}.
 * <pre>java -cp "$RSP4J_CP" bench/peer/rsp4j/Rsp4jPeer.java events batch spanMillis out</pre>
 */
public class Rsp4jPeer {
    static final long T0 = 1_767_225_600_000L;  // 2026-01-01T00:00:00Z, as RspSideBySide

    public static void main(String[] args) throws Exception {
        long events = Long.parseLong(args[0]);
        int batch = Integer.parseInt(args[1]);
        long span = Long.parseLong(args[2]);
        Path out = Path.of(args[3]);
        RDF rdf = RDFUtils.getInstance();
        IRI sensor = rdf.createIRI("http://www.w3.org/ns/sosa/madeBySensor");
        IRI result = rdf.createIRI("http://www.w3.org/ns/sosa/hasSimpleResult");
        IRI integer = rdf.createIRI("http://www.w3.org/2001/XMLSchema#integer");
        long observations = events / 2;
        long commits = observations / batch;
        List<Graph> graphs = new ArrayList<>();
        long obs = 0;
        for ( long c = 0; c < commits; c++ ) {
            Graph g = rdf.createGraph();
            for ( int i = 0; i < batch; i++, obs++ ) {
                IRI o = rdf.createIRI("http://example.org/o" + obs);
                g.add(o, sensor, rdf.createIRI("http://example.org/s" + (obs * 7919 % 1000)));
                g.add(o, result, rdf.createLiteral(Long.toString(obs % 40), integer));
            }
            graphs.add(g);
        }
        ContinuousQuery<Graph, Graph, Binding, Binding> query = TPQueryFactory.parse(
            "REGISTER RSTREAM <http://out/stream> AS SELECT (COUNT(?obs) AS ?n) "
            + "FROM NAMED WINDOW <urn:w> ON <urn:added> [RANGE PT1S STEP PT1S] "
            + "WHERE { WINDOW <urn:w> { ?obs <http://www.w3.org/ns/sosa/hasSimpleResult> ?t } }");
        TaskOperatorAPIImpl<Graph, Graph, Binding, Binding> task = new QueryTaskOperatorAPIImpl.QueryTaskBuilder().fromQuery(query).build();
        RDFStream in = new RDFStream("urn:added");
        ContinuousProgram<Graph, Graph, Binding, Binding> program = new ContinuousProgram.ContinuousProgramBuilder<Graph, Graph, Binding, Binding>()
            .in(in).addTask(task).out(query.getOutputStream()).build();
        List<String> answers = new ArrayList<>();
        query.getOutputStream().addConsumer((b, ts) -> answers.add(ts + " " + b.value("n").toString()));
        System.gc();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for ( int c = 0; c < graphs.size(); c++ )
            in.put(graphs.get(c), T0 + c * span / commits);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
        System.out.printf(Locale.ROOT, "RSP4J: %,d quad events in %,d graphs: %.2f s wall = %,.0f events/s; %.2f s CPU = %,.0f events per CPU second; %d steps%n",
                          2 * observations, commits, secs, 2 * observations / secs, cpu, 2 * observations / cpu, answers.size());
        try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(out))) {
            answers.forEach(w::println);
        }
    }
}
