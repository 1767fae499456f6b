package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import io.nats.client.Connection;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One transaction of 250,000 quads (about 14 MB of patch text in 14 parts, five times the capture's spill
 * threshold), captured with spilling, published in parts sized to the server's max_payload
 * (1 MB by default) and put back together by {@link NatsPatchReader}; quad counts are compared by
 * streaming, never holding the patch in memory. Between two small patches, so order around it is
 * checked too. Size itself is not what is tested: {@code -Dfusekicdc.largeQuads=2000000} runs
 * the 118 MB patch in 113 parts.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsLargePatchIT {
    static final int QUADS = Integer.getInteger("fusekicdc.largeQuads", 250_000);

    @TempDir
    Path work;

    @BeforeEach
    void server() {
        NatsTesting.requireServer();
    }

    @Test
    void aTransactionLargerThanMaxPayloadIsSentInPartsAndReassembledWhole() throws Exception {
        String stream = NatsTesting.unique("FUSEKI_CDC_LARGE_"), subject = "fuseki-cdc-it." + NatsTesting.unique("large");
        try (Connection nc = NatsTesting.connect(URL); ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            try {
                CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                         CaptureConfig.defaults(work.resolve("spill")));
                long t0 = System.nanoTime();
                NatsSinkIT.write(dsg, 1, 500);
                Txn.executeWrite(dsg, () -> {
                    Node p = NodeFactory.createURI("http://example/p");
                    for ( int i = 0 ; i < QUADS ; i++ )
                        dsg.add(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/s" + i), p, NodeFactory.createLiteralString("v" + i));
                });
                NatsSinkIT.write(dsg, 3, 500);
                long t1 = System.nanoTime();
                LogRecord large = log.read(2);
                assertEquals(QUADS, countAdds(large.openPayload()), "adds in the logged patch");

                NatsSink sink = (NatsSink)new NatsSinkProvider().create("ds", options("nats", "url", URL, "stream", stream, "subject", subject), work);
                long t2, t3;
                try (SinkRunner runner = new SinkRunner(log, sink, NatsSinkIT.FAST_RETRY)) {
                    t2 = System.nanoTime();
                    runner.start();
                    TestSupport.await("the three patches delivered", Duration.ofSeconds(120), () -> runner.status().cursor() == 3);
                    t3 = System.nanoTime();
                    assertEquals(SinkState.RUNNING, runner.status().state());
                }
                int part = sink.partBytes();
                long maxPayload = nc.getMaxPayload();
                assertTrue(part < maxPayload && part > maxPayload - 2048, "parts fill max_payload less the headers: " + part + " of " + maxPayload);
                long parts = (large.payloadLength() + part - 1) / part;
                assertEquals(2 + parts, nc.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount(),
                             "one message per small patch, " + parts + " for the large one");

                long t4 = System.nanoTime();
                try (NatsPatchReader reader = new NatsPatchReader(nc, stream, subject, 0, work.resolve("reader"))) {
                    assertEquals(1, reader.next(Duration.ofSeconds(10)).orElseThrow().version());
                    Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(60));
                    assertEquals(2, p.orElseThrow().version());
                    assertEquals(String.valueOf(parts), p.get().headers().get(PatchMessages.PARTS));
                    assertEquals(large.meta().id().toString(), p.get().headers().get(PatchMessages.ID));
                    try (InputStream in = p.get().open()) {
                        assertEquals(QUADS, countAdds(in), "adds in the patch read back from the stream");
                    }
                    assertEquals(3, reader.next(Duration.ofSeconds(10)).orElseThrow().version());
                }
                long t5 = System.nanoTime();
                System.out.printf("Large patch: %,d quads, %,d bytes, %d parts of %,d bytes; capture %.1f s, publish %.1f s, read back and count %.1f s%n",
                                  QUADS, large.payloadLength(), parts, part, (t1 - t0) / 1e9, (t3 - t2) / 1e9, (t5 - t4) / 1e9);
            } finally {
                NatsTesting.deleteStream(nc, stream);
            }
        }
    }

    private static long countAdds(InputStream in) throws IOException {
        long[] adds = {0};
        try (in) {
            new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node p, Node o) {
                    adds[0]++;
                }
            });
        }
        return adds[0];
    }
}
