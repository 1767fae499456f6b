package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.nats.client.Connection;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.SinkOutage;
import org.fusekicdc.core.testing.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What only JetStream has, beyond the sink contract ({@link NatsSinkContractIT}): a private
 * nats-server stopped in the middle of a write workload with a one-second duplicate window, so
 * the outage outlasts the window and the restarted server has forgotten its last message id
 * ({@code Nats-Expected-Last-Msg-Id} then fails although the subject ends where the sink
 * expects): the sink must recognise that and carry on, and the subject hold every version once,
 * in order. And a token from the environment that the server accepts.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsServerRestartIT {
    private static final Duration OUTAGE = Duration.ofMillis(2500);

    @TempDir
    Path work;

    @Test
    void aRestartPastTheDuplicateWindowLosesAndDuplicatesNothing() throws Exception {
        int duplicateWindowSeconds = 1;
        try (NatsTesting.PrivateServer server = new NatsTesting.PrivateServer(work); ChangeLog log = ChangeLog.open(
                ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            server.start();
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                     CaptureConfig.defaults(work.resolve("spill")));
            Sink sink = new NatsSinkProvider().create("ds", options("nats", "url", server.url(), "duplicateWindowSeconds",
                                                                    String.valueOf(duplicateWindowSeconds), "connectTimeoutSeconds", "2",
                                                                    "publishTimeoutSeconds", "2"), work);
            try (SinkRunner runner = new SinkRunner(log, sink, NatsSinkIT.FAST_RETRY)) {
                SinkOutage.Outage o = SinkOutage.run(dsg, log, runner, new Workload(7, "r"), OUTAGE, server::stop, server::start);
                System.out.println("Restart test (window " + duplicateWindowSeconds + " s): " + log.publishedVersion() + " versions, outage at "
                                   + o.stoppedAt() + ", error during the outage: " + o.errorDuringOutage());
            }
            try (Connection nc = NatsTesting.connect(server.url())) {
                String dataset = "ds";
                DatasetGraph replay = NatsTesting.checkAndReplay(readSubject(nc, NatsSinkConfig.defaultStream(dataset), NatsSinkConfig.defaultSubject(dataset)),
                                                                 log.publishedVersion(), dataset);
                LogReplay.assertSameDataset(dsg, replay, "replay of the subject after a server restart");
            }
        }
    }

    @Test
    void aTokenFromTheEnvironmentIsAccepted() throws Exception {
        String token = "s3cr3t-" + NatsTesting.unique("t");
        try (NatsTesting.PrivateServer server = new NatsTesting.PrivateServer(work, "--auth", token)) {
            server.start();
            NatsSinkProvider right = new NatsSinkProvider(Map.of("NATS_TOKEN", token)::get);
            try (Sink sink = right.create("ds", options("nats", "url", server.url(), "tokenEnv", "NATS_TOKEN", "connectTimeoutSeconds", "2"), work)) {
                assertEquals(0, sink.open());
            }
        }
    }
}
