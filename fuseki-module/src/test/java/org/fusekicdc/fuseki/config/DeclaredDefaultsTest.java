package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.rdf.model.Resource;
import org.fusekicdc.core.config.Option;
import org.fusekicdc.live.LiveConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dataset that sets none of its options gets exactly the defaults its option declarations
 * state, which are the ones docs/configuration.md shows (generated from the same declarations).
 */
class DeclaredDefaultsTest {
    @TempDir
    Path work;

    @Test
    void aMinimalDatasetHasTheDeclaredDefaults() {
        Model m = ModelFactory.createDefaultModel();
        Resource root = m.createResource("http://example/captured", VocabCdc.CapturedDataset)
                         .addProperty(VocabCdc.dataset, m.createResource())
                         .addProperty(VocabCdc.logDirectory, work.resolve("log").toString())
                         .addProperty(VocabCdc.name, "ds");
        CapturedDatasetSettings s = CapturedDatasetSettings.from(root);
        LiveConfig live = s.live().engineConfig();

        Map<Option<?>, Object> parsed = new LinkedHashMap<>();
        parsed.put(CdcOption.FSYNC, s.fsync());
        parsed.put(CdcOption.SEGMENT_BYTES, s.segmentBytes());
        parsed.put(CdcOption.SPILL_THRESHOLD, (long)s.spillThreshold());
        parsed.put(CdcOption.RETAIN_VERSIONS, s.retention().maxVersions());
        parsed.put(CdcOption.RETAIN_BYTES, s.retention().maxBytes());
        parsed.put(CdcOption.RETENTION_OVERRIDES_READERS, s.retention().overrideReaders());
        parsed.put(CdcOption.LIVE_MAX_SUBSCRIPTIONS, (long)live.maxSubscriptions());
        parsed.put(CdcOption.LIVE_MAX_PER_CLIENT, (long)live.maxPerClient());
        parsed.put(CdcOption.LIVE_MAX_RESULT_ROWS, (long)live.maxResultRows());
        parsed.put(CdcOption.LIVE_QUERY_TIMEOUT_SECONDS, live.queryTimeout().toSeconds());
        parsed.put(CdcOption.LIVE_COSTLY_QUERY_MILLIS, live.costlyThreshold().toMillis());
        parsed.put(CdcOption.LIVE_COSTLY_THREADS, (long)live.costlyThreads());
        parsed.put(CdcOption.LIVE_COSTLY_BUSY_PERCENT, (long)live.costlyBusyPercent());
        parsed.put(CdcOption.LIVE_HEARTBEAT_SECONDS, s.live().heartbeat().toSeconds());
        parsed.put(CdcOption.FEED_MAX_STREAMS, (long)s.feed().maxStreams());
        parsed.put(CdcOption.FEED_MAX_STREAMS_PER_CLIENT, (long)s.feed().maxStreamsPerClient());
        parsed.put(CdcOption.FEED_HEARTBEAT_SECONDS, s.feed().heartbeat().toSeconds());
        parsed.put(CdcOption.SLOW_READER_SECONDS, s.feed().slowReaderTimeout().toSeconds());
        parsed.forEach((option, value) -> assertEquals(option.defaultValue(), value, option.prefixedName()));
        assertEquals(work.resolve("log").resolve("spill"), s.spillDirectory(), "cdc:spillDirectory");
        assertEquals(work.resolve("log").resolve("snapshots"), s.snapshotDirectory(), "cdc:snapshotDirectory");
    }
}
