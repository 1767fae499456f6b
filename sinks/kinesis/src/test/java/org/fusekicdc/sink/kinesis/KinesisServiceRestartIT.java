package org.fusekicdc.sink.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * The Kinesis service itself stopped while the sink delivers and started again on its data: the
 * sink retries, reads the shard's tail when it reconnects, and the stream ends up with every
 * version once, in order.
 */
class KinesisServiceRestartIT {
    private static final Duration WAIT = Duration.ofSeconds(120);

    @TempDir
    Path dir;

    @Test
    void aRestartedServiceGetsEachVersionOnce() throws Exception {
        String stream = LocalKinesis.uniqueStream("restart");
        try (LocalKinesis kinesis = new LocalKinesis(dir.resolve("kinesis-local"))) {
            kinesis.start();
            Map<String, String> options = kinesis.options(stream);
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

                kinesis.stop();
                for ( int i = 0 ; i < 20 ; i++ )
                    workload.step(dsg);
                TestSupport.await("sink retrying", WAIT, () -> runner.status().state() == SinkState.RETRYING);
                kinesis.start();
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
