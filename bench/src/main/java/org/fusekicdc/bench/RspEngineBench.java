package org.fusekicdc.bench;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.StreamEngine;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;

/**
 * The stream engine alone, on one thread: a recorded stream of commits (sensor observations,
 * two quads each, in commits of {@code bench.batch} observations) is fed through the
 * issue's query, a sliding-window grouped average with enrichment from the dataset (1,000
 * sensors in 50 rooms):
 * <ol>
 * <li>throughput: quad events per second through {@code [RANGE PT5M STEP PT1M]}, incremental;</li>
 * <li>incremental against re-evaluation on the same stream, with {@code bench.windowEvents}
 *     quad events in a {@code [RANGE bench.range STEP PT1M]} window (the issue's {@code PT5M} by default): time per
 *     step once the window is full, wall and CPU time of the feeding thread;</li>
 * <li>the incremental step with {@code STEP PT10S} over the same window (re-evaluation costs the same per step).</li>
 * </ol>
 * Settings (system properties): bench.events (4,000,000 quad events), bench.batch (100), bench.windowEvents (1,000,000),
 * bench.range (PT5M), bench.rounds (3), bench.fullSteps (2: the steps of part 2 whose window is full), bench.incrementalOnly
 * (false; true: part 2 feeds only the incremental plan, and part 3 is skipped, to compare engines' incremental steps). On a shared machine the CPU time of the feeding thread gives the per-core rate.
 * <pre>java -Xmx6g -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.fusekicdc.bench.RspEngineBench</pre>
 */
public final class RspEngineBench {
    private static final String EX = "http://example.org/";
    private static final Node SENSOR = NodeFactory.createURI("http://www.w3.org/ns/sosa/madeBySensor");
    private static final Node RESULT = NodeFactory.createURI("http://www.w3.org/ns/sosa/hasSimpleResult");
    private static final int SENSORS = 1000;
    private static final long T0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();

    private static final String QUERY = """
        PREFIX cdc: <https://w3id.org/fuseki-cdc#>
        PREFIX ex: <http://example.org/>
        PREFIX sosa: <http://www.w3.org/ns/sosa/>
        REGISTER RSTREAM <urn:out:avg> AS
        SELECT ?room (AVG(?t) AS ?avg) (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE RANGE_ STEP PT1M]
        WHERE {
          WINDOW <urn:w> { ?obs sosa:madeBySensor ?s ; sosa:hasSimpleResult ?t }
          ?s ex:inRoom ?room .
        }
        GROUP BY ?room
        """;

    public static void main(String... args) {
        long events = Long.getLong("bench.events", 4_000_000);
        int batch = Integer.getInteger("bench.batch", 100);
        long windowEvents = Long.getLong("bench.windowEvents", 1_000_000);
        int rounds = Integer.getInteger("bench.rounds", 3);
        String range = System.getProperty("bench.range", "PT5M");
        int fullSteps = Integer.getInteger("bench.fullSteps", 2);
        boolean incrementalOnly = Boolean.getBoolean("bench.incrementalOnly");
        DatasetGraph reference = DatasetGraphFactory.createTxnMem();
        Txn.executeWrite(reference, () -> {
            for ( int s = 0; s < SENSORS; s++ )
                reference.add(Quad.defaultGraphIRI, uri("s" + s), uri("inRoom"), uri("room" + (s % 50)));
        });

        // 1. Throughput: 5-minute window; the stream spans 15 minutes of commit time.
        List<Commit> stream = record(events, batch, 15 * 60_000L);
        for ( int round = 0; round < rounds; round++ ) {
            Run r = feed(stream, "PT5M", true, reference);
            System.out.printf(Locale.ROOT, "throughput round %d: %,d quad events in %.2f s wall = %,.0f quad events/s; %.2f s CPU of the feeding thread = %,.0f quad events per CPU second (%d steps); load %s%n",
                              round + 1, events, r.seconds, events / r.seconds, r.cpuSeconds, events / r.cpuSeconds, r.steps, load());
        }

        // 2. Incremental vs re-evaluation, the window holding windowEvents quad events: the stream spans the window and two
        // steps more, at the rate that puts windowEvents in the window.
        long rangeMs = java.time.Duration.parse(range).toMillis();
        long spanMs = rangeMs + fullSteps * 60_000L;
        List<Commit> big = record(windowEvents * spanMs / rangeMs, batch, spanMs);
        Run incremental = feed(big, range, true, reference);
        if ( incrementalOnly ) {
            System.out.printf(Locale.ROOT, "[RANGE %s STEP PT1M] window of %,d quad events: incremental %.4f s per full-window step, CPU of the feeding thread %.4f s (mean of %d steps; median %.4f s wall, %.4f s CPU); load %s%n",
                              range, windowEvents, incremental.fullStepSeconds, incremental.fullStepCpuSeconds, fullSteps,
                              incremental.medianStepSeconds, incremental.medianStepCpuSeconds, load());
            return;
        }
        Run reevaluated = feed(big, range, false, reference);
        System.out.printf(Locale.ROOT, "[RANGE %s STEP PT1M] window of %,d quad events: incremental %.3f s per full-window step, re-evaluation %.3f s per step: %.0fx wall; CPU of the feeding thread %.3f s against %.3f s: %.0fx; load %s%n",
                          range, windowEvents, incremental.fullStepSeconds, reevaluated.fullStepSeconds, reevaluated.fullStepSeconds / incremental.fullStepSeconds,
                          incremental.fullStepCpuSeconds, reevaluated.fullStepCpuSeconds, reevaluated.fullStepCpuSeconds / incremental.fullStepCpuSeconds, load());
        System.out.printf(Locale.ROOT, "all the work of a full-window step's interval (its commits ingested and taken in as they came, and the step): CPU of the feeding thread %.3f s against %.3f s: %.0fx%n",
                          incremental.fullIntervalCpuSeconds, reevaluated.fullIntervalCpuSeconds, reevaluated.fullIntervalCpuSeconds / incremental.fullIntervalCpuSeconds);
        System.out.printf(Locale.ROOT, "whole stream (ingest and every step): incremental %.2f s, re-evaluation %.2f s: %.1fx; same answers: %s%n",
                          incremental.seconds, reevaluated.seconds, reevaluated.seconds / incremental.seconds, incremental.answers.equals(reevaluated.answers));
        // 3. A finer step over the same window: re-evaluation costs the same per step (the whole window), the incremental
        // step only what entered and left. Re-evaluating every 10 s would take hours here, so its per-step cost is the one above.
        Run fine = feed(big, range, true, reference, "PT10S");
        System.out.printf(Locale.ROOT, "STEP PT10S over the same window: incremental %.3f s per full-window step: %.0fx against re-evaluation's %.3f s; load %s%n",
                          fine.fullStepSeconds, reevaluated.fullStepSeconds / fine.fullStepSeconds, reevaluated.fullStepSeconds, load());
    }

    /** The load averages over 1, 5 and 15 minutes, as uptime prints them. */
    private static String load() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException ex) {
            return String.format(Locale.ROOT, "%.2f", java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static Node uri(String local) {
        return NodeFactory.createURI(EX + local);
    }

    /** The recorded stream: {@code events} quad events in commits of {@code batch} observations, evenly over {@code span} ms. */
    private static List<Commit> record(long events, int batch, long span) {
        long observations = events / 2;
        long commits = observations / batch;
        List<Commit> out = new ArrayList<>((int)commits);
        long obs = 0;
        for ( long c = 0; c < commits; c++ ) {
            List<Quad> added = new ArrayList<>(batch * 2);
            for ( int i = 0; i < batch; i++, obs++ ) {
                Node o = uri("o" + obs);
                added.add(Quad.create(Quad.defaultGraphIRI, o, SENSOR, uri("s" + (obs * 7919 % SENSORS))));
                added.add(Quad.create(Quad.defaultGraphIRI, o, RESULT, NodeFactory.createLiteralDT(Long.toString(obs % 40), XSDDatatype.XSDinteger)));
            }
            out.add(new Commit(c + 1, Instant.ofEpochMilli(T0 + c * span / commits), added, List.of()));
        }
        return out;
    }

    /**
     * One feed of the stream. A full-window step's time runs from the start of the {@code accept} of the commit that
     * closes the window (the commit's own events are ingested in it) to the step reaching the listener (answer joined
     * with the dataset and complete); wall time and CPU time of the feeding thread, averaged over the steps whose
     * window starts at or after the stream's start. A full-window step's interval is all the CPU time of the feeding
     * thread from the step before reaching the listener to this one: the step's commits ingested (and, by the
     * incremental plan, taken in ahead of the step) and the step itself.
     */
    private record Run(double seconds, double cpuSeconds, int steps, double fullStepSeconds, double fullStepCpuSeconds,
                       double medianStepSeconds, double medianStepCpuSeconds, double fullIntervalCpuSeconds, List<String> answers) {}

    private static Run feed(List<Commit> stream, String range, boolean incremental, DatasetGraph reference) {
        return feed(stream, range, incremental, reference, "PT1M");
    }

    private static Run feed(List<Commit> stream, String range, boolean incremental, DatasetGraph reference, String stepEvery) {
        StreamEngine engine = new StreamEngine("bench", new StreamEngineConfig(20_000_000, incremental), version -> {
            reference.begin(org.apache.jena.query.TxnType.READ);
            return new VersionReader.View() {
                @Override
                public DatasetGraph dataset() {
                    return reference;
                }

                @Override
                public void close() {
                    reference.end();
                }
            };
        });
        List<String> answers = new ArrayList<>();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] lastStepAt = {0, 0};
        long[] lastAnswerCpu = {threads.getCurrentThreadCpuTime()};
        List<Long> intervalCpuNanos = new ArrayList<>();
        List<Long> stepNanos = new ArrayList<>();
        List<Long> stepCpuNanos = new ArrayList<>();
        long rangeMs = java.time.Duration.parse(range).toMillis();
        engine.register(ContinuousQuery.parse(QUERY.replace("RANGE_", range).replace("STEP PT1M", "STEP " + stepEvery)), step -> {
            long now = System.nanoTime();
            long cpu = threads.getCurrentThreadCpuTime();
            if ( step.windowStart().toEpochMilli() >= T0 ) {
                stepNanos.add(now - lastStepAt[0]);
                stepCpuNanos.add(cpu - lastStepAt[1]);
                intervalCpuNanos.add(cpu - lastAnswerCpu[0]);
            }
            lastAnswerCpu[0] = cpu;
            answers.add(step.number() + " " + summary((StepResult.Rows)step.result()));
        });
        System.gc();
        long cpuStart = threads.getCurrentThreadCpuTime();
        lastAnswerCpu[0] = cpuStart;
        long start = System.nanoTime();
        for ( Commit c : stream ) {
            lastStepAt[0] = System.nanoTime();
            lastStepAt[1] = threads.getCurrentThreadCpuTime();
            engine.accept(c);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpuSeconds = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
        engine.close();
        double full = stepNanos.stream().mapToLong(Long::longValue).average().orElse(Double.NaN) / 1e9;
        double fullCpu = stepCpuNanos.stream().mapToLong(Long::longValue).average().orElse(Double.NaN) / 1e9;
        double fullInterval = intervalCpuNanos.stream().mapToLong(Long::longValue).average().orElse(Double.NaN) / 1e9;
        return new Run(seconds, cpuSeconds, answers.size(), full, fullCpu, median(stepNanos) / 1e9, median(stepCpuNanos) / 1e9, fullInterval, answers);
    }

    /** The median of the values (the mean of the middle two when their number is even), NaN when there are none. */
    private static double median(List<Long> values) {
        if ( values.isEmpty() )
            return Double.NaN;
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    /** A step's rows, sorted, numbers rounded so that equal answers compare equal. */
    private static String summary(StepResult.Rows rows) {
        List<String> out = new ArrayList<>();
        rows.rows().forEach(b -> out.add(b.toString().replaceAll("(\\.\\d{6})\\d+", "$1")));
        out.sort(null);
        return String.join(";", out);
    }
}
