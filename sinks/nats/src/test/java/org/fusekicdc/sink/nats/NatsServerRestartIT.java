package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.nats.client.Connection;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.capture.CaptureConfig;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.SinkOutage;
import org.fusekicdc.core.testing.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A private nats-server is stopped in the middle of a write workload and started again later on
 * the same port and store. The sink retries during the outage (status RETRYING) and afterwards
 * the subject holds every version once, in order.
 * <p>
 * With a one-second duplicate window the outage outlasts the window, so the restarted server
 * has forgotten its last message id ({@code Nats-Expected-Last-Msg-Id} then fails although the
 * subject ends where the sink expects): the sink must recognise that and carry on.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsServerRestartIT {
    private static final Duration OUTAGE = Duration.ofMillis(2500);

    @TempDir
    Path work;

    @ParameterizedTest(name = "duplicate window {0} s")
    @ValueSource(ints = {120, 1})
    void aServerRestartMidWorkloadLosesAndDuplicatesNothing(int duplicateWindowSeconds) throws Exception {
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
    void credentialsComeFromTheEnvironmentAndARefusalIsPermanentWithoutShowingTheSecret() throws Exception {
        String token = "s3cr3t-" + NatsTesting.unique("t");
        try (NatsTesting.PrivateServer server = new NatsTesting.PrivateServer(work, "--auth", token)) {
            server.start();
            NatsSinkProvider right = new NatsSinkProvider(Map.of("NATS_TOKEN", token)::get);
            try (Sink sink = right.create("ds", options("nats", "url", server.url(), "tokenEnv", "NATS_TOKEN", "connectTimeoutSeconds", "2"), work)) {
                assertEquals(0, sink.open());
            }
            NatsSinkProvider wrong = new NatsSinkProvider(Map.of("NATS_TOKEN", "wrong-" + token)::get);
            try (Sink sink = wrong.create("ds", options("nats", "url", server.url(), "tokenEnv", "NATS_TOKEN", "connectTimeoutSeconds", "2"), work)) {
                SinkException ex = assertThrows(SinkException.class, sink::open);
                assertTrue(ex.permanent(), ex.getMessage());
                assertTrue(ex.getMessage().contains("refused the credentials (token from $NATS_TOKEN)"), ex.getMessage());
                assertFalse(ex.getMessage().contains(token), "the message must not show the token: " + ex.getMessage());
            }
        }
    }
}
