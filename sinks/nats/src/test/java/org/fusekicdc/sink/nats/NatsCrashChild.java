package org.fusekicdc.sink.nats;

import org.fusekicdc.core.capture.Tdb2JournalRepair;
import org.fusekicdc.core.testing.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.capture.CaptureConfig;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.core.sink.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkOptions;
import org.fusekicdc.core.sink.SinkRunner;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link NatsCrashIT}: a captured TDB2 dataset, its change log and a NATS sink
 * runner, with a write loop ({@code write}) until killed, or ({@code drain}) no writes: wait until
 * the sink has delivered everything, then stop cleanly. Prints {@code READY
 * v cursor c} once running (v = the log's last version, c = the sink's cursor) and
 * {@code DRAINED v}.
 * <p>
 * Arguments: work directory, NATS URL, stream, subject, mode, round, and a version after whose
 * publication the JVM halts before the sink's cursor records it (0 for none).
 */
public final class NatsCrashChild {
    private NatsCrashChild() {}

    static Path tdbDir(Path work) { return work.resolve("tdb"); }
    static Path logDir(Path work) { return work.resolve("changes"); }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        String url = args[1], stream = args[2], subject = args[3], mode = args[4];
        int round = Integer.parseInt(args[5]);
        long haltAfter = Long.parseLong(args[6]);

        ChildJvm.haltWhenParentExits();

        Tdb2JournalRepair.repairTornTail(tdbDir(work));   // as the assembler does: a kill can tear TDB2's journal

        DatasetGraph tdb = TDB2Factory.connectDataset(tdbDir(work).toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(logDir(work), "ds"));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(work.resolve("spill")));
        SinkOptions options = new SinkOptions("nats", Map.of("url", url, "stream", stream, "subject", subject, "publishTimeoutSeconds", "5"));
        Sink nats = new NatsSinkProvider().create("ds", options, work.resolve("sink"));
        Sink sink = haltAfter <= 0 ? nats : new Sink() {
            @Override public String name() { return nats.name(); }
            @Override public long open() throws SinkException { return nats.open(); }
            @Override public void close() { nats.close(); }
            @Override
            public void deliver(PatchRecord patch) throws SinkException {
                nats.deliver(patch);
                // Published and acknowledged by the stream, not yet acknowledged in the sink's cursor.
                if ( patch.version() >= haltAfter ) {
                    System.out.println("HALT after publishing version " + patch.version());
                    System.out.flush();
                    Runtime.getRuntime().halt(137);
                }
            }
        };
        SinkRunner runner = new SinkRunner(log, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500)));
        long cursor = runner.status().cursor();
        runner.start();
        System.out.println("READY " + log.publishedVersion() + " cursor " + cursor);
        System.out.flush();
        if ( mode.equals("write") ) {
            Workload workload = new Workload(round, "round" + round);
            while ( true )
                workload.step(dsg);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ( runner.status().cursor() < log.publishedVersion() && System.nanoTime() < deadline )
            Thread.sleep(20);
        System.out.println("DRAINED " + runner.status().cursor() + " of " + log.publishedVersion() + " " + runner.status().state());
        System.out.flush();
        runner.close();
        log.close();
        System.exit(0);
    }
}
