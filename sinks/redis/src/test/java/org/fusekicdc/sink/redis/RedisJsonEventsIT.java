package org.fusekicdc.sink.redis;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.redis.RedisTesting.URL;
import static org.fusekicdc.sink.redis.RedisTesting.options;
import static org.fusekicdc.sink.redis.RedisTesting.readStream;
import static org.fusekicdc.sink.redis.RedisTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.ChangeEventSchema;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.Workload;
import org.fusekicdc.core.wire.MessageFormats;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** The Redis sink with {@code cdc:format json}: one JSON change event an entry, valid, in order, and together the dataset. */
class RedisJsonEventsIT {
    @TempDir
    Path work;
    private Jedis redis;
    private String stream;

    @BeforeEach
    void connect() {
        RedisTesting.requireServer();
        redis = RedisTesting.connect(URL);
        stream = unique("fuseki-cdc-it:");
    }

    @AfterEach
    void cleanUp() {
        if ( redis == null )
            return;
        redis.del(stream, stream + RedisSinkConfig.VERSION_SUFFIX);
        redis.close();
    }

    @Test
    void jsonChangeEventsOnceInOrderAndValid() throws Exception {
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
            Workload workload = new Workload(7, "j");
            for ( int i = 0 ; i < 60 ; i++ )
                workload.step(dsg);
            Sink sink = new RedisSinkProvider().create("ds", options("redis", "url", URL, "streamKey", stream, "format", "json"), work);
            try (SinkRunner runner = new SinkRunner(log, sink, RedisSinkIT.FAST_RETRY)) {
                runner.start();
                await("delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == log.publishedVersion());
            }
            List<RedisTesting.Entry> entries = readStream(redis, stream);
            assertEquals(log.publishedVersion(), entries.size());
            DatasetGraph replay = DatasetGraphFactory.createTxnMem();
            long expected = 1;
            for ( RedisTesting.Entry e : entries ) {
                assertEquals(expected, e.version());
                assertEquals(MessageFormats.JSON_CONTENT_TYPE, e.field(RedisSink.F_CONTENT_TYPE));
                JsonNode event = ChangeEventSchema.assertSameChanges(LogReplay.patch(log.read(expected)), e.fields().get(RedisSink.F_PATCH));
                assertEquals(e.field(RedisSink.F_ID), event.get("id").asText());
                ChangeEventSchema.apply(event, replay);
                expected++;
            }
            LogReplay.assertSameDataset(dsg, replay, "replay of the JSON events of " + stream);
        }
    }
}
