package org.fusekicdc.sink.nats;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

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
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
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
            AtomicBoolean writing = new AtomicBoolean(true);
            AtomicInteger written = new AtomicInteger();
            try (SinkRunner runner = new SinkRunner(log, sink, NatsSinkIT.FAST_RETRY)) {
                runner.start();
                Workload workload = new Workload(7, "r");
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    while ( writing.get() ) {
                        workload.step(dsg);
                        written.incrementAndGet();
                        try {
                            Thread.sleep(3);
                        } catch (InterruptedException ex) {
                            return;
                        }
                    }
                });
                await("100 versions delivered", Duration.ofSeconds(30), () -> runner.status().cursor() >= 100);

                server.stop();
                await("sink retrying", Duration.ofSeconds(15), () -> runner.status().state() == SinkState.RETRYING);
                SinkStatus during = runner.status();
                long stoppedAt = during.cursor();
                assertNotNull(during.lastError());
                Thread.sleep(OUTAGE.toMillis());
                assertEquals(SinkState.RETRYING, runner.status().state(), "still retrying while the server is down");
                assertEquals(stoppedAt, runner.status().cursor(), "nothing is acknowledged while the server is down");
                int writtenDuringOutage = written.get();

                server.start();
                await("writes after the restart", Duration.ofSeconds(10), () -> written.get() > writtenDuringOutage + 100);
                writing.set(false);
                writer.get(10, TimeUnit.SECONDS);
                await("sink catches up", Duration.ofSeconds(30), () -> runner.status().cursor() == log.publishedVersion());
                assertEquals(SinkState.RUNNING, runner.status().state());
                assertTrue(log.publishedVersion() > stoppedAt + 100, "the workload went on during and after the outage");
                System.out.println("Restart test (window " + duplicateWindowSeconds + " s): " + log.publishedVersion() + " versions, outage at "
                                   + stoppedAt + ", error during the outage: " + during.lastError());
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
