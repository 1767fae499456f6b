package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.core.testing.TestSupport.await;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.fusekicdc.sink.nats.NatsTesting.readSubject;
import static org.fusekicdc.sink.nats.NatsTesting.unique;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.Workload;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NATS sink against a real server: ordered exactly-once delivery from a captured dataset,
 * reading back with the plain client and with {@link NatsPatchReader}, permanent failures
 * (pause, dead letters) and the checks of an existing stream.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsSinkIT {
    static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(50), Duration.ofMillis(500));

    @TempDir
    Path work;

    private Connection nc;
    private final List<String> streams = new ArrayList<>();
    private final NatsSinkProvider provider = new NatsSinkProvider();

    @BeforeEach
    void connect() throws Exception {
        NatsTesting.requireServer();
        nc = NatsTesting.connect(URL);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if ( nc == null )
            return;
        streams.forEach(s -> NatsTesting.deleteStream(nc, s));
        nc.close();
    }

    private String newStream() {
        String s = unique("FUSEKI_CDC_IT_");
        streams.add(s);
        return s;
    }

    private static String newSubject() {
        return "fuseki-cdc-it." + unique("ds");
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
        String stream = newStream(), subject = newSubject();
        int transactions = 300;
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Workload workload = new Workload(42, "w");
            // Some history before the sink starts, the rest while it runs.
            for ( int i = 0 ; i < transactions / 3 ; i++ )
                workload.step(dsg);
            Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject, "format", format), work);
            try (SinkRunner runner = new SinkRunner(log, sink, FAST_RETRY)) {
                runner.start();
                for ( int i = transactions / 3 ; i < transactions ; i++ )
                    workload.step(dsg);
                await("sink delivers everything", Duration.ofSeconds(60), () -> runner.status().cursor() == log.publishedVersion());
                assertEquals(SinkState.RUNNING, runner.status().state());
            }
            long last = log.publishedVersion();
            assertTrue(last > transactions * 9 / 10, "most transactions change something: " + last);

            List<NatsTesting.Stored> messages = readSubject(nc, stream, subject);
            String contentType = "binary".equals(format) ? org.fusekicdc.core.wire.PatchRecord.BINARY : org.fusekicdc.core.wire.PatchRecord.TEXT;
            messages.forEach(m -> assertEquals(contentType, m.headers().get(PatchMessages.CONTENT_TYPE)));
            DatasetGraph replay = NatsTesting.checkAndReplay(messages, last, "ds");
            LogReplay.assertSameDataset(dsg, replay, "replay of subject " + subject);

            // The same through NatsPatchReader, starting part-way.
            try (NatsPatchReader reader = new NatsPatchReader(nc, stream, subject, 100, work.resolve("reader"))) {
                long expected = 101;
                Optional<PatchReassembler.Patch> p;
                while ( (p = reader.next(Duration.ofSeconds(2))).isPresent() ) {
                    assertEquals(expected, p.get().version());
                    assertEquals(String.valueOf(expected), p.get().headers().get(PatchMessages.VERSION));
                    expected++;
                }
                assertEquals(last + 1, expected, "the reader returns every version after 100");
            }

            // A sink opened again finds where the subject ends, and sends nothing twice.
            Sink again = provider.create("ds", options("nats2", "url", URL, "stream", stream, "subject", subject, "format", format), work);
            try (again) {
                assertEquals(last, again.open());
                for ( var r : log.readAfter(last - 5, 5) )
                    again.deliver(new org.fusekicdc.core.wire.PatchRecord("ds", r));
            }
            assertEquals(messages.size(), readSubject(nc, stream, subject).size(), "nothing published twice");
        }
    }

    @Test
    void aPatchTooLargeForTheStreamPausesTheSinkWithAnErrorNamingItsVersion() throws Exception {
        String stream = newStream(), subject = newSubject();
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject, "maxMessageBytes", "4096"), work);
            try (SinkRunner runner = new SinkRunner(log, sink, FAST_RETRY)) {
                runner.start();
                write(dsg, 1, 10);
                await("version 1 delivered", Duration.ofSeconds(20), () -> runner.status().cursor() == 1);
                shrinkMaxMessageSize(stream, 2048);
                write(dsg, 2, 8000);
                write(dsg, 3, 10);
                await("sink paused", Duration.ofSeconds(20), () -> runner.status().state() == SinkState.PAUSED);
                SinkStatus st = runner.status();
                assertEquals(1, st.cursor());
                assertTrue(st.lastError().matches("(?s)version 2 \\(patch [0-9a-f-]{36}\\) cannot be delivered.*"), st.lastError());
                assertTrue(st.lastError().contains("cdc:maxMessageBytes"), "names the option to fix: " + st.lastError());
                assertTrue(st.lastError().contains("max_msg_size"), "names the limit: " + st.lastError());
            }
            assertEquals(List.of(1L), readSubject(nc, stream, subject).stream().map(NatsTesting.Stored::version).toList());
        }
    }

    @Test
    void anExistingStreamThatDoesNotStoreTheSubjectStopsTheStartWithAClearError() throws Exception {
        String stream = newStream(), subject = newSubject();
        String other = "other-" + unique("x") + ".patches";
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(other).storageType(StorageType.Memory).build());
        Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject), work);
        SinkException ex = assertThrows(SinkException.class, sink::open);
        assertTrue(ex.permanent());
        assertTrue(ex.getMessage().contains("stream " + stream + " exists but stores subjects [" + other + "], not " + subject), ex.getMessage());
        assertTrue(ex.getMessage().contains("nats stream edit " + stream), "says how to fix it: " + ex.getMessage());

        // Through the runner: the sink does not start, and its status says why.
        try (ChangeLog log = log("log"); SinkRunner runner = new SinkRunner(log, sink, FAST_RETRY)) {
            runner.start();
            await("sink paused", Duration.ofSeconds(20), () -> runner.status().state() == SinkState.PAUSED);
            assertTrue(runner.status().lastError().contains("not " + subject), runner.status().lastError());
        }
    }

    @Test
    void optionsGivenInTheConfigurationMustMatchAnExistingStream() throws Exception {
        String stream = newStream(), subject = newSubject();
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.Memory).build());
        try (Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject, "streamStorage", "file"), work)) {
            SinkException ex = assertThrows(SinkException.class, sink::open);
            assertTrue(ex.permanent());
            assertTrue(ex.getMessage().contains("has memory but cdc:streamStorage asks for file"), ex.getMessage());
        }
        // Without the option, the stream's own settings are taken.
        try (Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject), work)) {
            assertEquals(0, sink.open());
        }
    }

    @Test
    void aMissingStreamIsAnErrorWhenTheSinkMayNotCreateIt() throws Exception {
        String stream = newStream(), subject = newSubject();
        try (Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject, "createStream", "false"), work)) {
            SinkException ex = assertThrows(SinkException.class, sink::open);
            assertTrue(ex.permanent());
            assertTrue(ex.getMessage().contains("stream " + stream + " does not exist and cdc:createStream is false"), ex.getMessage());
        }
        assertFalse(nc.jetStreamManagement().getStreamNames().contains(stream));
    }

    @Test
    void aSubjectStoredByAnotherStreamIsNamedInTheError() throws Exception {
        String owner = newStream(), wanted = newStream(), subject = newSubject();
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(owner).subjects(subject).storageType(StorageType.Memory).build());
        try (Sink sink = provider.create("ds", options("nats", "url", URL, "stream", wanted, "subject", subject), work)) {
            SinkException ex = assertThrows(SinkException.class, sink::open);
            assertTrue(ex.permanent());
            assertTrue(ex.getMessage().contains("is stored by stream " + owner) && ex.getMessage().contains("cdc:stream \"" + owner + "\""), ex.getMessage());
        }
    }

    @Test
    void aSubjectHoldingAnotherDatasetsPatchesIsRefused() throws Exception {
        String stream = newStream(), subject = newSubject();
        try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("other"), "other").withFsync(false))) {
            CapturingDatasetGraph dsg = captured(log);
            write(dsg, 1, 5);
            try (Sink sink = provider.create("other", options("nats", "url", URL, "stream", stream, "subject", subject), work)) {
                assertEquals(0, sink.open());
                sink.deliver(new org.fusekicdc.core.wire.PatchRecord("other", log.read(1)));
            }
        }
        try (Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject), work)) {
            SinkException ex = assertThrows(SinkException.class, sink::open);
            assertTrue(ex.permanent());
            assertTrue(ex.getMessage().contains("holds patches of dataset 'other', not 'ds'"), ex.getMessage());
        }
    }

    /**
     * Pipelined messages are guarded by the stream's last sequence: when the subject's last
     * messages were removed, the stream ends past the subject, and the sink sends the next
     * message guarded by the subject sequence first, then pipelines again, without a failure.
     */
    @Test
    void aSubjectWhoseLastMessageWasRemovedContinuesInOrderWithoutAFailure() throws Exception {
        String stream = newStream(), subject = newSubject();
        // A short duplicate window, so that the removed version can be stored again. Memory storage:
        // the 2.9 file store no longer finds the subject's last message once its last one is deleted
        // (open then says UNKNOWN, and the sink goes on from its cursor, one message first anyway).
        nc.jetStreamManagement().addStream(StreamConfiguration.builder().name(stream).subjects(subject).storageType(StorageType.Memory)
                                                              .duplicateWindow(Duration.ofMillis(500)).build());
        try (ChangeLog log = log("log")) {
            CapturingDatasetGraph dsg = captured(log);
            for ( int v = 1 ; v <= 6 ; v++ )
                write(dsg, v, 200);
            List<org.fusekicdc.core.wire.PatchRecord> patches = log.readAfter(0, 6).stream().map(r -> new org.fusekicdc.core.wire.PatchRecord("ds", r)).toList();
            Sink sink = provider.create("ds", options("nats", "url", URL, "stream", stream, "subject", subject), work);
            try (sink) {
                assertEquals(0, sink.open());
                assertEquals(NatsSink.MAX_IN_FLIGHT, sink.maxInFlight(), "pipelined: the stream holds the subject only");
                sink.send(patches.subList(0, 3)).await();
            }
            assertTrue(nc.jetStreamManagement().deleteMessage(stream, 3));
            // Past the 500 ms duplicate window: nothing to wait on, the server forgets the id by its clock.
            Thread.sleep(1500);
            try (sink) {
                assertEquals(2, sink.open(), "the subject ends with version 2 now");
                sink.send(patches.subList(2, 6)).await();
            }
            List<NatsTesting.Stored> stored = readSubject(nc, stream, subject);
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), stored.stream().map(NatsTesting.Stored::version).toList());
            assertEquals(List.of(1L, 2L, 4L, 5L, 6L, 7L), stored.stream().map(NatsTesting.Stored::seq).toList());
        }
    }

    /** One transaction adding quads whose literals total about {@code bytes}. */
    static void write(DatasetGraph dsg, int n, int bytes) {
        Txn.executeWrite(dsg, () -> {
            int quads = Math.max(1, bytes / 100);
            for ( int i = 0 ; i < quads ; i++ )
                dsg.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/t" + n + "/" + i),
                                    NodeFactory.createURI("http://example/p"), NodeFactory.createLiteralString("x".repeat(60))));
        });
    }

    private void shrinkMaxMessageSize(String stream, int bytes) throws Exception {
        JetStreamManagement jsm = nc.jetStreamManagement();
        StreamConfiguration sc = jsm.getStreamInfo(stream).getConfiguration();
        jsm.updateStream(StreamConfiguration.builder(sc).maximumMessageSize(bytes).build());
    }
}
