package org.fusekicdc.sink.redis;

import static org.fusekicdc.sink.redis.RedisTesting.options;
import static org.fusekicdc.sink.redis.RedisTesting.readStream;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.SinkOutage;
import org.fusekicdc.core.testing.Workload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * What only Redis has, beyond the sink contract ({@link RedisSinkContractIT}, whose server keeps
 * its data): a private redis-server without persistence (as the machine's own server runs) is
 * stopped in the middle of a write workload and started again on the same port; the stream is
 * gone, the sink fills it again from the change log, and it holds every version once, in order.
 * And the password: from the environment, accepted; a password-protected server with none
 * configured names cdc:passwordEnv.
 */
class RedisServerRestartIT {
    private static final Duration OUTAGE = Duration.ofMillis(1500);

    @TempDir
    Path work;

    @Test
    void aRestartOfAServerThatKeepsNothingIsFilledAgainFromTheLog() throws Exception {
        try (RedisTesting.PrivateServer server = new RedisTesting.PrivateServer(work, false);
             ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            server.start();
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
            Sink sink = new RedisSinkProvider().create("ds", options("redis", "url", server.url(), "connectTimeoutSeconds", "1", "commandTimeoutSeconds", "2"), work);
            try (SinkRunner runner = new SinkRunner(log, sink, RedisSinkIT.FAST_RETRY)) {
                SinkOutage.Outage o = SinkOutage.run(dsg, log, runner, new Workload(7, "r"), OUTAGE, server::stop, server::start);
                System.out.println("Redis restart test (no persistence): " + log.publishedVersion() + " versions, outage at "
                                   + o.stoppedAt() + ", error during the outage: " + o.errorDuringOutage());
            }
            try (Jedis j = RedisTesting.connect(server.url())) {
                DatasetGraph replay = RedisTesting.checkAndReplay(readStream(j, "fuseki-cdc:ds"), log.publishedVersion(), "ds", PatchRecord.TEXT);
                LogReplay.assertSameDataset(dsg, replay, "replay of the stream after a server restart");
            }
        }
    }

    @Test
    void thePasswordComesFromTheEnvironmentAndAMissingOneNamesTheOption() throws Exception {
        String password = "s3cr3t-" + RedisTesting.unique("p");
        try (RedisTesting.PrivateServer server = new RedisTesting.PrivateServer(work, false, "--requirepass", password)) {
            server.start();
            RedisSinkProvider right = new RedisSinkProvider(Map.of("REDIS_PASSWORD", password)::get);
            try (Sink sink = right.create("ds", options("redis", "url", server.url(), "passwordEnv", "REDIS_PASSWORD"), work)) {
                assertEquals(0, sink.open());
            }
            try (Sink sink = new RedisSinkProvider().create("ds", options("redis", "url", server.url()), work)) {
                SinkException ex = assertThrows(SinkException.class, sink::open);
                assertTrue(ex.permanent() && ex.getMessage().contains("cdc:passwordEnv"), ex.getMessage());
            }
        }
    }
}
