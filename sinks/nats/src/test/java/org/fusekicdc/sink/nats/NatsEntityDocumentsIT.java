package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.fusekicdc.sink.nats.NatsTesting.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.nats.client.Connection;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.wire.EntityDocumentFormat;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.EntityDocumentChecks;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entity documents through a JetStream subject, as a subscriber sees them: one message per
 * changed subject naming it in {@code cdc-subject}, its JSON-LD (compacted with the configured
 * context, blank-node closure included) read back by Jena equal to the subject's triples at
 * exactly that version even though the sink starts behind, an empty body for a subject left
 * without triples, and each version once and in order across a restart that lost the sink's cursor.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsEntityDocumentsIT {
    private static final String NS = "http://example/";
    private static final Node NAME = NodeFactory.createURI(NS + "name");
    private static final Node ADDRESS = NodeFactory.createURI(NS + "address");
    private static final Node CITY = NodeFactory.createURI(NS + "city");
    private static final Node PERSON = NodeFactory.createURI(NS + "Person");
    private static final Node GRAPH = NodeFactory.createURI(NS + "people");

    @TempDir
    Path work;

    @BeforeEach
    void server() {
        NatsTesting.requireServer();
    }

    @Test
    void documentsAtTheirVersionAndTombstonesOnceInOrder() throws Exception {
        String stream = NatsTesting.unique("FUSEKI_CDC_ENT_"), subject = "fuseki-cdc-it." + NatsTesting.unique("ent");
        String[] opts = {"url", URL, "stream", stream, "subject", subject, "format", "entity", "entityDepth", "closure",
                         "entityContext", "{\"@context\": {\"ex\": \"" + NS + "\", \"name\": \"" + NS + "name\"}}"};
        // Expected: each version's description of each subject, read right after its commit.
        Map<Long, Map<Node, Graph>> expected = new HashMap<>();
        try (Connection nc = NatsTesting.connect(URL); ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("log"), "ds").withFsync(false))) {
            try {
                CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
                AsOfSource asOf = new AsOfSource(dsg);
                Node alice = s("alice"), bob = s("bob"), carol = s("carol");
                write(dsg, expected, List.of(alice, bob), () -> {
                    Node addr = NodeFactory.createBlankNode();
                    dsg.add(GRAPH, alice, RDF.type.asNode(), PERSON);
                    dsg.add(GRAPH, alice, NAME, lit("Alice"));
                    dsg.add(GRAPH, alice, ADDRESS, addr);
                    dsg.add(GRAPH, addr, CITY, lit("Lyon"));
                    dsg.add(GRAPH, bob, NAME, lit("Bob"));
                });
                write(dsg, expected, List.of(alice, bob), () -> {
                    dsg.delete(GRAPH, alice, NAME, lit("Alice"));
                    dsg.add(GRAPH, alice, NAME, lit("Alice B."));
                    dsg.deleteAny(Node.ANY, bob, Node.ANY, Node.ANY);
                });
                // The sink starts behind: it must still send each version's state, not today's.
                try (SinkRunner runner = new SinkRunner(log, asOf, new NatsSinkProvider().create("ds", options("nats", opts), work), NatsSinkIT.FAST_RETRY)) {
                    runner.start();
                    write(dsg, expected, List.of(carol), () -> dsg.add(GRAPH, carol, NAME, lit("Carol")));
                    TestSupport.await("delivered", Duration.ofSeconds(60), () -> runner.status().cursor() == 3);
                }
                // The cursor lost: the subject's last message (the last part of version 3) says where to go on.
                log.reader(SinkRunner.cursorName("nats")).rewind(0);
                try (SinkRunner runner = new SinkRunner(log, asOf, new NatsSinkProvider().create("ds", options("nats", opts), work), NatsSinkIT.FAST_RETRY)) {
                    runner.start();
                    write(dsg, expected, List.of(alice), () -> dsg.add(GRAPH, alice, NAME, lit("Alice C.")));
                    TestSupport.await("delivered after the restart", Duration.ofSeconds(60), () -> runner.status().cursor() == 4);
                }

                List<String> seen = new ArrayList<>();
                for ( NatsTesting.Stored m : NatsTesting.readSubject(nc, stream, subject) ) {
                    long version = m.version();
                    String about = m.headers().get(EntityDocumentFormat.SUBJECT);
                    seen.add(version + " " + about + " " + m.headers().get(PatchMessages.PART) + "/" + m.headers().get(PatchMessages.PARTS));
                    assertEquals(EntityDocumentFormat.CONTENT_TYPE, m.headers().get(PatchMessages.CONTENT_TYPE));
                    LogRecord logged = log.read(version);
                    assertEquals(logged.meta().id().toString(), m.headers().get(PatchMessages.ID));
                    Graph want = expected.get(version).get(NodeFactory.createURI(about));
                    if ( want.isEmpty() ) {
                        assertEquals(0, m.data().length, "tombstone of " + about + " at version " + version + ": an empty body");
                        continue;
                    }
                    assertTrue(m.data().length > 0, "document of " + about + " at version " + version);
                    EntityDocumentChecks.assertDocument(m.data(), about, version, NS, want);
                }
                assertEquals(List.of("1 " + NS + "alice 0/2", "1 " + NS + "bob 1/2",
                                     "2 " + NS + "alice 0/2", "2 " + NS + "bob 1/2",
                                     "3 " + NS + "carol 0/1",
                                     "4 " + NS + "alice 0/1"), seen, "each version once, in order, one message per changed subject");
            } finally {
                NatsTesting.deleteStream(nc, stream);
            }
        }
    }

    private static void write(CapturingDatasetGraph dsg, Map<Long, Map<Node, Graph>> expected, List<Node> subjects, Runnable changes) {
        Txn.executeWrite(dsg, changes);
        expected.put(dsg.changeLog().publishedVersion(), EntityDocumentChecks.closures(dsg, subjects));
    }

    private static Node s(String local) {
        return NodeFactory.createURI(NS + local);
    }

    private static Node lit(String text) {
        return NodeFactory.createLiteralString(text);
    }
}
