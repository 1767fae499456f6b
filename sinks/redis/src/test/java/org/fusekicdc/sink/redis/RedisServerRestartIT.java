package org.fusekicdc.sink.redis;

import static org.fusekicdc.sink.redis.RedisTesting.options;
import static org.fusekicdc.sink.redis.RedisTesting.readStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.capture.CaptureConfig;
import org.fusekicdc.core.capture.CapturingDatasetGraph;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.core.sink.PatchRecord;
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
import redis.clients.jedis.Jedis;

/**
 * A private redis-server is stopped in the middle of a write workload and started again later on
 * the same port. The sink retries during the outage (status RETRYING, nothing acknowledged) and
 * afterwards the stream holds every version once, in order: with persistence (an append-only
 * file forced on each write) the stream survives and the sink continues after its last entry;
 * without it (the machine's own server runs so) the stream is gone and the sink fills it again
 * from the change log.
 */
class RedisServerRestartIT {
    private static final Duration OUTAGE = Duration.ofMillis(1500);

    @TempDir
    Path work;

    @ParameterizedTest(name = "persistent {0}")
    @ValueSource(booleans = {true, false})
    void aServerRestartMidWorkloadLosesAndDuplicatesNothing(boolean persistent) throws Exception {
        try (RedisTesting.PrivateServer server = new RedisTesting.PrivateServer(work, persistent);
             ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            server.start();
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
            Sink sink = new RedisSinkProvider().create("ds", options("redis", "url", server.url(), "connectTimeoutSeconds", "1", "commandTimeoutSeconds", "2"), work);
            try (SinkRunner runner = new SinkRunner(log, sink, RedisSinkIT.FAST_RETRY)) {
                SinkOutage.Outage o = SinkOutage.run(dsg, log, runner, new Workload(7, "r"), OUTAGE, server::stop, server::start);
                System.out.println("Redis restart test (persistent " + persistent + "): " + log.publishedVersion() + " versions, outage at "
                                   + o.stoppedAt() + ", error during the outage: " + o.errorDuringOutage());
            }
            try (Jedis j = RedisTesting.connect(server.url())) {
                DatasetGraph replay = RedisTesting.checkAndReplay(readStream(j, "fuseki-cdc:ds"), log.publishedVersion(), "ds", PatchRecord.TEXT);
                LogReplay.assertSameDataset(dsg, replay, "replay of the stream after a server restart");
            }
        }
    }

    @Test
    void thePasswordComesFromTheEnvironmentAndARefusalPausesWithoutShowingIt() throws Exception {
        String password = "s3cr3t-" + RedisTesting.unique("p");
        try (RedisTesting.PrivateServer server = new RedisTesting.PrivateServer(work, false, "--requirepass", password)) {
            server.start();
            RedisSinkProvider right = new RedisSinkProvider(Map.of("REDIS_PASSWORD", password)::get);
            try (Sink sink = right.create("ds", options("redis", "url", server.url(), "passwordEnv", "REDIS_PASSWORD"), work)) {
                assertEquals(0, sink.open());
            }
            RedisSinkProvider wrong = new RedisSinkProvider(Map.of("REDIS_PASSWORD", "wrong-" + password)::get);
            try (Sink sink = wrong.create("ds", options("redis", "url", server.url(), "passwordEnv", "REDIS_PASSWORD"), work)) {
                SinkException ex = assertThrows(SinkException.class, sink::open);
                assertTrue(ex.permanent() && ex.sinkWide(), ex.getMessage());
                assertTrue(ex.getMessage().contains("refused the credentials (password from $REDIS_PASSWORD)"), ex.getMessage());
                assertFalse(ex.getMessage().contains(password), "the message must not show the password: " + ex.getMessage());
            }
            try (Sink sink = new RedisSinkProvider().create("ds", options("redis", "url", server.url()), work)) {
                SinkException ex = assertThrows(SinkException.class, sink::open);
                assertTrue(ex.permanent() && ex.getMessage().contains("cdc:passwordEnv"), ex.getMessage());
            }
        }
    }
}
