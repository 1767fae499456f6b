package org.fusekicdc.sink.redis;

import static org.fusekicdc.sink.redis.RedisTesting.URL;
import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.redis.RedisTesting.options;
import static org.fusekicdc.sink.redis.RedisTesting.readStream;
import static org.fusekicdc.sink.redis.RedisTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.StreamEntryID;
import redis.clients.jedis.params.XReadGroupParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * The Redis sink against a real server ({@code REDIS_URL}): ordered exactly-once delivery from a
 * captured dataset, read back with the plain client and with a consumer group; no repeat after a
 * publish whose cursor update was lost; trimming; oversized patches (pause, dead letters); a
 * server that is not there; keys used by something else.
 */
class RedisSinkIT {
    static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));

    @TempDir
    Path work;

    private Jedis redis;
    private final List<String> keys = new ArrayList<>();
    private final RedisSinkProvider provider = new RedisSinkProvider();

    @BeforeEach
    void connect() {
        RedisTesting.requireServer();
        redis = RedisTesting.connect(URL);
    }

    @AfterEach
    void cleanUp() {
        if ( redis == null )
            return;
        if ( !keys.isEmpty() )
            redis.del(keys.toArray(String[]::new));
        redis.close();
    }

    private String newStream() {
        String s = unique("fuseki-cdc-it:");
        keys.add(s);
        keys.add(s + RedisSinkConfig.VERSION_SUFFIX);
        return s;
    }

    private CapturingDatasetGraph captured(ChangeLog log) {
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
    }

    private ChangeLog log(String dir) {
        return ChangeLog.open(ChangeLogConfig.defaults(work.resolve(dir), "ds").withFsync(false));
    }

    /** In the binary format: the text format is the sink contract's (every clause). */
    @Test
    void everyVersionArrivesOnceInOrderAndReplaysToTheDataset() throws Exception {
        String format = "binary";
        String stream = newStream();
        int transactions = 300;
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Workload workload = new Workload(42, "w");
            for ( int i = 0 ; i < transactions / 3 ; i++ )
                workload.step(dsg);
            Sink sink = provider.create("ds", options("redis", "url", URL, "streamKey", stream, "format", format), work);
            try (SinkRunner runner = new SinkRunner(log, sink, FAST_RETRY)) {
                runner.start();
                for ( int i = transactions / 3 ; i < transactions ; i++ )
                    workload.step(dsg);
                await("sink delivers everything", Duration.ofSeconds(60), () -> runner.status().cursor() == log.publishedVersion());
                assertEquals(SinkState.RUNNING, runner.status().state());
            }
            long last = log.publishedVersion();
            assertTrue(last > transactions * 9 / 10, "most transactions change something: " + last);
            String contentType = "binary".equals(format) ? PatchRecord.BINARY : PatchRecord.TEXT;
            DatasetGraph replay = RedisTesting.checkAndReplay(readStream(redis, stream), last, "ds", contentType);
            LogReplay.assertSameDataset(dsg, replay, "replay of stream " + stream);
            assertEquals(String.valueOf(last), redis.hget(stream + RedisSinkConfig.VERSION_SUFFIX, "version"), "the version key");

            // A sink opened again finds where the stream ends.
            try (Sink again = provider.create("ds", options("redis2", "url", URL, "streamKey", stream, "format", format), work)) {
                assertEquals(last, again.open());
            }
        }
    }

    @Test
    void patchesInTheStreamWhoseCursorWasNeverWrittenAreNotAppendedAgain() throws Exception {
        String stream = newStream();
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Workload workload = new Workload(3, "c");
            for ( int i = 0 ; i < 40 ; i++ )
                workload.step(dsg);
            long published = log.publishedVersion();
            // A server that appended 1..20 and died before writing its cursor. On the way, the
            // reply to the script appending version 7 was lost, and the script was sent again:
            // sink b sends it as it stood before the first send.
            List<LogRecord> first = log.readAfter(0, 20);
            try (Sink a = provider.create("ds", options("redis", "url", URL, "streamKey", stream), work);
                 Sink b = provider.create("ds", options("redis", "url", URL, "streamKey", stream), work)) {
                assertEquals(0, a.open());
                for ( LogRecord r : first.subList(0, 6) )
                    a.deliver(new PatchRecord("ds", r));
                assertEquals(6, b.open());
                a.deliver(new PatchRecord("ds", first.get(6)));
                b.deliver(new PatchRecord("ds", first.get(6)));
                for ( LogRecord r : first.subList(7, 20) )
                    b.deliver(new PatchRecord("ds", r));
            }
            assertEquals(20, readStream(redis, stream).size());
            try (SinkRunner runner = new SinkRunner(log, provider.create("ds", options("redis", "url", URL, "streamKey", stream), work), FAST_RETRY)) {
                assertEquals(0, runner.status().cursor(), "the cursor never saw the first 20");
                runner.start();
                await("sink delivers everything", Duration.ofSeconds(30), () -> runner.status().cursor() == published);
            }
            RedisTesting.checkAndReplay(readStream(redis, stream), published, "ds", PatchRecord.TEXT);
        }
    }

    @Test
    void aConsumerGroupGetsEveryPatchOnceAcrossItsConsumers() throws Exception {
        String stream = newStream();
        redis.xgroupCreate(stream, "replicas", new StreamEntryID(0, 0), true);
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Workload workload = new Workload(5, "g");
            for ( int i = 0 ; i < 120 ; i++ )
                workload.step(dsg);
            try (SinkRunner runner = new SinkRunner(log, provider.create("ds", options("redis", "url", URL, "streamKey", stream), work), FAST_RETRY)) {
                runner.start();
                await("sink delivers everything", Duration.ofSeconds(30), () -> runner.status().cursor() == log.publishedVersion());
            }
            TreeSet<Long> seen = new TreeSet<>();
            int[] perConsumer = new int[2];
            boolean more = true;
            while ( more ) {
                more = false;
                for ( int c = 0 ; c < 2 ; c++ ) {
                    List<Map.Entry<String, List<StreamEntry>>> batch =
                        redis.xreadGroup("replicas", "consumer-" + c, XReadGroupParams.xReadGroupParams().count(25),
                                         Map.of(stream, StreamEntryID.XREADGROUP_UNDELIVERED_ENTRY));
                    if ( batch == null || batch.isEmpty() || batch.get(0).getValue().isEmpty() )
                        continue;
                    more = true;
                    for ( StreamEntry e : batch.get(0).getValue() ) {
                        assertTrue(seen.add(Long.parseLong(e.getFields().get(RedisSink.F_VERSION))), "a version given to two consumers: " + e.getID());
                        perConsumer[c]++;
                        redis.xack(stream, "replicas", e.getID());
                    }
                }
            }
            assertEquals(log.publishedVersion(), seen.size());
            assertEquals(1L, seen.first());
            assertEquals(log.publishedVersion(), seen.last());
            assertTrue(perConsumer[0] > 0 && perConsumer[1] > 0, "both consumers got entries");
            assertEquals(0, redis.xpending(stream, "replicas").getTotal(), "nothing left pending");
        }
    }

    @Test
    void trimmingKeepsTheNewestEntriesAndTheVersion() throws Exception {
        String stream = newStream();
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Workload workload = new Workload(9, "t");
            for ( int i = 0 ; i < 600 ; i++ )
                workload.step(dsg);
            try (SinkRunner runner = new SinkRunner(log, provider.create("ds", options("redis", "url", URL, "streamKey", stream, "maxLen", "50"), work), FAST_RETRY)) {
                runner.start();
                await("sink delivers everything", Duration.ofSeconds(60), () -> runner.status().cursor() == log.publishedVersion());
            }
            long last = log.publishedVersion();
            List<RedisTesting.Entry> entries = readStream(redis, stream);
            assertTrue(entries.size() >= 50 && entries.size() < last / 2, "about 50 entries kept (approximate trimming): " + entries.size());
            assertEquals(last, entries.get(entries.size() - 1).version(), "the newest entry is the last version");
            for ( int i = 1 ; i < entries.size() ; i++ )
                assertEquals(entries.get(i - 1).version() + 1, entries.get(i).version(), "the kept entries are consecutive");
            try (Sink again = provider.create("ds", options("redis", "url", URL, "streamKey", stream), work)) {
                assertEquals(last, again.open(), "a trimmed stream still tells where it ends");
            }
        }
    }

    @Test
    void aServerThatIsNotThereIsRetriedAndNothingIsAcknowledged() throws Exception {
        int port = TestSupport.freePort();
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            new Workload(2, "d").step(dsg);
            try (SinkRunner runner = new SinkRunner(log, provider.create("ds", options("redis", "url", "redis://127.0.0.1:" + port, "connectTimeoutSeconds", "1"), work), FAST_RETRY)) {
                runner.start();
                await("sink retrying", Duration.ofSeconds(15), () -> runner.status().state() == SinkState.RETRYING);
                SinkStatus s = runner.status();
                assertEquals(0, s.cursor());
                assertTrue(s.lastError().contains("cannot connect to Redis at redis://127.0.0.1:" + port) && s.lastError().contains("Check that the server runs"),
                           s.lastError());
            }
        }
    }

    @Test
    void aStreamKeyHoldingSomethingElsePausesTheSinkAndIsLeftAlone() throws Exception {
        String stream = newStream();
        redis.set(stream, "not a stream");
        try (ChangeLog log = log("log")) {
            new Workload(2, "k").step(captured(log));
            try (SinkRunner runner = new SinkRunner(log, provider.create("ds", options("redis", "url", URL, "streamKey", stream), work), FAST_RETRY)) {
                runner.start();
                await("sink paused", Duration.ofSeconds(15), () -> runner.status().state() == SinkState.PAUSED);
                String error = runner.status().lastError();
                assertTrue(error.contains("key " + stream + " holds a string, not a stream") && error.contains("cdc:streamKey"), error);
            }
        }
        assertEquals("not a stream", redis.get(stream));
    }
}
