package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.testing.contract.SinkContract.Delivered;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outages while the sink delivers and the dataset is written to: the Kinesis service itself
 * stopped and started again on its data, and the network path to it cut (open connections
 * closed, puts in flight among them) and restored. The sink retries, reads the shard's tail when
 * it reconnects, and the stream ends up with every version once, in order. The sink contract's
 * own outage clause is opted out of (see {@code KinesisSinkContractIT}): its writer outpaces any
 * sink that puts one record at a time.
 */
class KinesisOutageIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void aRestartedServiceGetsEachVersionOnce() throws Exception {
        try (LocalKinesis kinesis = new LocalKinesis(dir.resolve("kinesis-local"), true)) {
            kinesis.start();
            outage(kinesis, kinesis.options(LocalKinesis.uniqueStream("restart")), kinesis::stop, kinesis::start);
        }
    }

    @Test
    void aCutNetworkPathLosesAndRepeatsNothing() throws Exception {
        try (LocalKinesis kinesis = new LocalKinesis(dir.resolve("kinesis-local"), false); TcpGateway gateway = new TcpGateway(startedPort(kinesis))) {
            Map<String, String> options = kinesis.options(LocalKinesis.uniqueStream("cut"));
            options.put("endpoint", gateway.endpoint());
            outage(kinesis, options, gateway::stop, gateway::start);
        }
    }

    private static int startedPort(LocalKinesis kinesis) throws Exception {
        kinesis.start();
        return kinesis.port();
    }

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    private void outage(LocalKinesis kinesis, Map<String, String> options, Action stop, Action start) throws Exception {
        String stream = options.get("streamName");
        {
            options.put("maxRecordBytes", "2048");
            ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
            KinesisSink sink = new KinesisSink(KinesisSinkConfig.from("ds", new OptionValues("kinesis", options), System::getenv), dir.resolve("work"));
            Workload workload = new Workload(21, "restart");
            try (SinkRunner runner = new SinkRunner(log, sink, SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
                runner.start();
                for ( int i = 0 ; i < 20 ; i++ )
                    workload.step(dsg);
                TestSupport.await("first 20 delivered", WAIT, () -> runner.status().cursor() == 20);

                // Writes go on during the outage; the first of them meets it mid-put.
                stop.run();
                for ( int i = 0 ; i < 20 ; i++ )
                    workload.step(dsg);
                TestSupport.await("sink retrying", WAIT, () -> runner.status().state() == SinkState.RETRYING);
                assertTrue(runner.status().lastError().startsWith("version 21 ") || runner.status().lastError().contains("next: version 21"),
                           "the error names the version: " + runner.status().lastError());
                Thread.sleep(1500);
                assertEquals(20, runner.status().cursor(), "nothing is acknowledged while the service is away");
                start.run();
                for ( int i = 0 ; i < 10 ; i++ )
                    workload.step(dsg);
                TestSupport.await("sink caught up", WAIT, () -> runner.status().cursor() == log.publishedVersion());
                assertEquals(SinkState.RUNNING, runner.status().state());

                List<Delivered> held = StreamRecords.patches(StreamRecords.readAll(kinesis, stream, "ds"));
                assertEquals(LongStream.rangeClosed(1, 50).boxed().toList(), held.stream().map(Delivered::version).toList(), "every version once, in order");
                DatasetGraph replay = DatasetGraphFactory.createTxnMem();
                held.forEach(d -> RDFPatchOps.applyChange(replay, d.patch()));
                LogReplay.assertSameDataset(dsg, replay, "replay of the stream after the service's restart");
            } finally {
                dsg.close();
            }
        }
    }
}
