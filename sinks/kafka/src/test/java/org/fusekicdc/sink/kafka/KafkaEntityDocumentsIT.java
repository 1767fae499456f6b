package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.system.Txn;
import org.apache.jena.vocabulary.RDF;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.wire.EntityDocumentFormat;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.EntityDocumentChecks;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Entity documents through a Kafka topic, as a consumer sees them: one record per changed
 * subject keyed by the subject, its JSON-LD (compacted with the configured context, blank-node
 * closure included) read back by Jena equal to the subject's triples at exactly that version even
 * though the sink starts behind, a null-value tombstone for a subject left without triples, and
 * each version once and in order across a restart that lost the sink's cursor.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaEntityDocumentsIT {
    private static final String NS = "http://example/";
    private static final Node NAME = NodeFactory.createURI(NS + "name");
    private static final Node ADDRESS = NodeFactory.createURI(NS + "address");
    private static final Node CITY = NodeFactory.createURI(NS + "city");
    private static final Node PERSON = NodeFactory.createURI(NS + "Person");
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @TempDir
    Path dir;

    @Test
    void documentsAtTheirVersionAndTombstonesOnceInOrder(TestBroker broker) throws Exception {
        String topic = KafkaSinkIT.uniqueTopic("entity");
        Map<String, String> opts = KafkaSinkIT.options(broker, topic);
        opts.put("format", "entity");
        opts.put("entityContext", "{\"@context\": {\"ex\": \"" + NS + "\", \"name\": \"" + NS + "name\"}}");
        opts.put("entityDepth", "closure");
        String dataset = "ent-" + UUID.randomUUID().toString().substring(0, 8);
        // Expected: each version's description of each subject, read right after its commit.
        Map<Long, Map<Node, Graph>> expected = new HashMap<>();
        try (CapturedStore store = CapturedStore.open(dir, dataset)) {
            Node alice = s("alice"), bob = s("bob"), carol = s("carol");
            write(store, expected, List.of(alice, bob), () -> {
                Node addr = NodeFactory.createBlankNode();
                add(store, alice, RDF.type.asNode(), PERSON);
                add(store, alice, NAME, lit("Alice"));
                add(store, alice, ADDRESS, addr);
                add(store, addr, CITY, lit("Lyon"));
                add(store, bob, NAME, lit("Bob"));
            });
            write(store, expected, List.of(alice, bob), () -> {
                store.dsg.delete(graph(), alice, NAME, lit("Alice"));
                add(store, alice, NAME, lit("Alice B."));
                store.dsg.deleteAny(Node.ANY, bob, Node.ANY, Node.ANY);
            });
            // The sink starts behind: it must still send each version's state, not today's.
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                write(store, expected, List.of(carol), () -> add(store, carol, NAME, lit("Carol")));
                KafkaSinkIT.awaitCaughtUp(runner, store);
            }
            // The cursor lost: the topic's tail (keyed by subject) says where to go on.
            store.log.reader(SinkRunner.cursorName("kafka")).rewind(0);
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                write(store, expected, List.of(alice), () -> add(store, alice, NAME, lit("Alice C.")));
                KafkaSinkIT.awaitCaughtUp(runner, store);
            }

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            List<String> seen = new ArrayList<>();
            for ( ConsumerRecord<byte[], byte[]> r : records ) {
                long version = TopicRecords.version(r);
                String subject = new String(r.key(), StandardCharsets.UTF_8);
                seen.add(version + " " + subject + " " + TopicRecords.header(r, PatchMessages.PART) + "/" + TopicRecords.header(r, PatchMessages.PARTS));
                assertEquals(subject, TopicRecords.header(r, EntityDocumentFormat.SUBJECT));
                assertEquals(EntityDocumentFormat.CONTENT_TYPE, TopicRecords.header(r, PatchMessages.CONTENT_TYPE));
                LogRecord logged = store.log.read(version);
                assertEquals(logged.meta().id().toString(), TopicRecords.header(r, PatchMessages.ID));
                Graph want = expected.get(version).get(NodeFactory.createURI(subject));
                if ( want.isEmpty() ) {
                    assertNull(r.value(), "tombstone of " + subject + " at version " + version);
                    continue;
                }
                assertNotNull(r.value(), "document of " + subject + " at version " + version);
                EntityDocumentChecks.assertDocument(r.value(), subject, version, NS, want);
            }
            assertEquals(List.of("1 " + NS + "alice 0/2", "1 " + NS + "bob 1/2",
                                 "2 " + NS + "alice 0/2", "2 " + NS + "bob 1/2",
                                 "3 " + NS + "carol 0/1",
                                 "4 " + NS + "alice 0/1"), seen, "each version once, in order, one record per changed subject");
        }
    }

    private static void write(CapturedStore store, Map<Long, Map<Node, Graph>> expected, List<Node> subjects, Runnable changes) {
        Txn.executeWrite(store.dsg, changes);
        expected.put(store.log.publishedVersion(), EntityDocumentChecks.closures(store.dsg, subjects));
    }

    private static void add(CapturedStore store, Node s, Node p, Node o) {
        store.dsg.add(graph(), s, p, o);
    }

    private static Node graph() {
        return NodeFactory.createURI(NS + "people");
    }

    private static Node s(String local) {
        return NodeFactory.createURI(NS + local);
    }

    private static Node lit(String text) {
        return NodeFactory.createLiteralString(text);
    }
}
