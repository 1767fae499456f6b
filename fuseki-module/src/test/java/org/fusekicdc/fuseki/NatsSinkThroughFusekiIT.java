package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.graph.GraphFactory;
import org.fusekicdc.core.wire.PatchReassembler;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.sink.nats.NatsPatchReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The NATS example configuration, run by Fuseki: writes over HTTP arrive on the JetStream
 * subject in order, once each; with {@code cdc:format "entity"}, each as the changed subject's
 * document at its own version. Needs a NATS server with JetStream (NATS_URL, else
 * 127.0.0.1:4222); .ci/run starts one.
 */
class NatsSinkThroughFusekiIT {
    @TempDir
    Path work;

    private static final String URL = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");

    @Test
    void writesOverHttpArriveOnTheSubjectInOrder() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-test." + id;
        String stream = "FUSEKI_CDC_TEST_" + id.toUpperCase();
        String config = natsConfig(subject, stream, "");
        try (Connection nats = Nats.connect(URL)) {
            try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
                for ( int i = 1 ; i <= 20 ; i++ )
                    assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
                List<Long> versions = new ArrayList<>();
                try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                    while ( versions.size() < 20 ) {
                        Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(30));
                        if ( p.isEmpty() )
                            throw new AssertionError("only " + versions + " arrived");
                        assertEquals("ds", p.get().headers().get(PatchMessages.DATASET));
                        versions.add(p.get().version());
                    }
                }
                assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), versions);
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    /**
     * The server hands its dataset (and history copies) to the entity sink: each update's
     * document is the subject as that version left it, even when the sink sends it later.
     */
    @Test
    void entityDocumentsThroughTheServerAreEachVersionsState() throws Exception {
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-test." + id;
        String stream = "FUSEKI_CDC_TEST_" + id.toUpperCase();
        String config = natsConfig(subject, stream, " ; cdc:format \"entity\"").replace("cdc:logDirectory", "cdc:historySnapshotEvery 3 ;\n    cdc:logDirectory");
        try (Connection nats = Nats.connect(URL)) {
            try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
                for ( int i = 1 ; i <= 10 ; i++ )
                    assertEquals(204, f.update("ds", "DELETE WHERE { <http://example/alice> <http://example/name> ?n } ;"
                                                     + " INSERT DATA { <http://example/alice> <http://example/name> \"v" + i + "\" }").statusCode());
                try (NatsPatchReader reader = new NatsPatchReader(nats, stream, subject, 0, work.resolve("tmp"))) {
                    for ( int i = 1 ; i <= 10 ; i++ ) {
                        Optional<PatchReassembler.Patch> p = reader.next(Duration.ofSeconds(30));
                        if ( p.isEmpty() )
                            throw new AssertionError("only " + (i - 1) + " documents arrived");
                        try (PatchReassembler.Patch doc = p.get(); InputStream in = doc.open()) {
                            assertEquals(i, doc.version());
                            assertEquals("http://example/alice", doc.headers().get("cdc-subject"));
                            Graph g = GraphFactory.createDefaultGraph();
                            RDFParser.source(in).lang(Lang.JSONLD11).parse(g);
                            assertTrue(g.contains(NodeFactory.createURI("http://example/alice"), NodeFactory.createURI("http://example/name"),
                                                  NodeFactory.createLiteralString("v" + i)) && g.size() == 1, "version " + i + ": " + g);
                        }
                    }
                }
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    /** The example configuration on this test's subject and stream, with {@code more} sink options. */
    private String natsConfig(String subject, String stream, String more) {
        return CdcFuseki.exampleConfig("nats.ttl", work)
                        .replace("cdc:url \"nats://127.0.0.1:4222\"",
                                 "cdc:url \"" + URL + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"" + more);
    }
}
