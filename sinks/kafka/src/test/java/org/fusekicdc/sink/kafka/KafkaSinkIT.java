package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.sink.SinkException;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink against a real broker, fed by a real change log of a captured TDB2 dataset
 * through {@link SinkRunner}; what reaches the topic is checked with a plain consumer and Jena's
 * own patch readers.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaSinkIT {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final SinkConfig FAST_RETRY = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1));

    @TempDir
    Path dir;

    static String uniqueTopic(String what) {
        return "it-" + what + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static Map<String, String> options(TestBroker broker, String topic) {
        Map<String, String> o = new HashMap<>();
        o.put("bootstrapServers", broker.bootstrapServers());
        o.put("topic", topic);
        o.put("sendTimeoutSeconds", "10");
        return o;
    }

    static void awaitCaughtUp(SinkRunner runner, CapturedStore store) {
        Await.until(WAIT, () -> runner.status().cursor() == store.log.publishedVersion(),
                    () -> "sink caught up with version " + store.log.publishedVersion() + "; status " + runner.status());
    }

    /** In the binary format: the text format is the sink contract's (every clause). */
    @Test
    void everyVersionArrivesOnceInOrderAndReplaysToTheDataset(TestBroker broker) throws Exception {
        String format = "binary";
        String topic = uniqueTopic("exact-" + format);
        Map<String, String> opts = options(broker, topic);
        opts.put("format", format);
        int n = 300;
        try (CapturedStore store = CapturedStore.open(dir, "ds")) {
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                for ( int i = 1 ; i <= n / 2 ; i++ )
                    store.write(i);
                awaitCaughtUp(runner, store);
            }
            // As if the server died after publishing but before its cursor was saved: the cursor
            // says nothing was delivered, the topic says otherwise, and the topic wins.
            store.log.reader(SinkRunner.cursorName("kafka")).rewind(0);
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                for ( int i = n / 2 + 1 ; i <= n ; i++ )
                    store.write(i);
                awaitCaughtUp(runner, store);
                assertEquals(SinkState.RUNNING, runner.status().state());
            }
            assertEquals(n, store.log.publishedVersion(), "one version per transaction");

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            PatchChecks.assertVersionsOnceInOrder(records, n);
            records.forEach(r -> assertEquals(format.equals("binary") ? "application/rdf-patch+thrift" : "application/rdf-patch",
                                              TopicRecords.header(r, PatchMessages.CONTENT_TYPE)));
            DatasetGraph replay = PatchChecks.replay(records, "ds");
            LogReplay.assertSameDataset(store.dsg, replay, "replay of topic " + topic);

            // The reader gives the same patches.
            DatasetGraph viaReader = readAllWithReader(broker, topic, "ds", n);
            LogReplay.assertSameDataset(store.dsg, viaReader, "replay through KafkaPatchReader");
        }
    }

    @Test
    void datasetsSharingATopicEachArriveOnceInOrder(TestBroker broker) throws Exception {
        String topic = uniqueTopic("shared");
        try (CapturedStore a = CapturedStore.open(dir.resolve("a"), "a");
             CapturedStore b = CapturedStore.open(dir.resolve("b"), "b")) {
            for ( int round = 0 ; round < 2 ; round++ ) {
                // The second round starts with both cursors lost: each sink must find its own last record behind the other's.
                if ( round == 1 ) {
                    a.log.reader(SinkRunner.cursorName("kafka")).rewind(0);
                    b.log.reader(SinkRunner.cursorName("kafka")).rewind(0);
                }
                try (SinkRunner ra = a.runner(a.kafkaSink("kafka", options(broker, topic)), FAST_RETRY);
                     SinkRunner rb = b.runner(b.kafkaSink("kafka", options(broker, topic)), FAST_RETRY)) {
                    for ( int i = round * 20 + 1 ; i <= round * 20 + 20 ; i++ ) {
                        a.write(i);
                        b.write(i);
                    }
                    awaitCaughtUp(ra, a);
                    awaitCaughtUp(rb, b);
                }
            }
            List<ConsumerRecord<byte[], byte[]>> all = TopicRecords.readAll(broker, topic, false);
            for ( CapturedStore s : List.of(a, b) ) {
                List<ConsumerRecord<byte[], byte[]>> mine = all.stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals(s.dataset())).toList();
                PatchChecks.assertVersionsOnceInOrder(mine, 40);
                LogReplay.assertSameDataset(s.dsg, PatchChecks.replay(mine, s.dataset()), "replay of dataset " + s.dataset());
            }
        }
    }

    @Test
    void aPatchCutShortByACrashIsSentAgainWhole(TestBroker broker) throws Exception {
        String topic = uniqueTopic("cut");
        Map<String, String> opts = options(broker, topic);
        opts.put("maxMessageBytes", "1024");
        try (CapturedStore store = CapturedStore.open(dir, "ds")) {
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                store.write(1);
                store.write(2);
                awaitCaughtUp(runner, store);
            }
            store.writeLarge("big", 60);
            store.write(4);
            // What a server killed after the first part of version 3 leaves in the topic:
            // part 0 of several, as the sink sends it.
            int[] sent = { 0 };
            try (KafkaProducer<byte[], byte[]> producer = plainProducer(broker)) {
                try {
                    PatchMessages.parts(new PatchRecord("ds", store.log.read(3)), PatchRecord.TEXT, 1024, dir.resolve("tmp"),
                                           (headers, value) -> {
                        RecordHeaders h = new RecordHeaders();
                        headers.forEach((k, v) -> h.add(k, v.getBytes(StandardCharsets.UTF_8)));
                        try {
                            producer.send(new ProducerRecord<>(topic, 0, "ds".getBytes(StandardCharsets.UTF_8), value, h)).get(10, TimeUnit.SECONDS);
                        } catch (Exception ex) {
                            throw new AssertionError(ex);
                        }
                        sent[0]++;
                        throw SinkException.transientFailure("killed", null);
                    });
                } catch (SinkException expected) {
                    // The "kill".
                }
            }
            assertEquals(1, sent[0]);
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                awaitCaughtUp(runner, store);
            }
            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            assertEquals(1, PatchChecks.checkOnceInOrder(records, 4), "one cut-short patch, followed by the whole of it");
            assertEquals("0", TopicRecords.header(records.get(2), PatchMessages.PART));
            assertEquals("0", TopicRecords.header(records.get(3), PatchMessages.PART));
            LogReplay.assertSameDataset(store.dsg, readAllWithReader(broker, topic, "ds", 4), "replay through KafkaPatchReader");
        }
    }

    @Test
    void aPatchTheTopicRefusesPausesTheSinkNamingTheVersionUntilResumed(TestBroker broker) throws Exception {
        String topic = uniqueTopic("refuse");
        broker.createTopic(topic, Map.of("max.message.bytes", "2048"));
        try (CapturedStore store = CapturedStore.open(dir, "ds");
             SinkRunner runner = store.runner(store.kafkaSink("kafka", options(broker, topic)), FAST_RETRY)) {
            store.write(1);
            store.writeLarge("big", 200);   // about 16 KB
            store.write(3);
            Await.until(WAIT, () -> runner.status().state() == SinkState.PAUSED, () -> "sink paused; status " + runner.status());
            SinkStatus st = runner.status();
            assertTrue(st.lastError().matches("(?s)version 2 \\(patch [0-9a-f-]{36}\\) cannot be delivered.*"), st.lastError());
            assertTrue(st.lastError().contains("RecordTooLargeException"), st.lastError());
            assertTrue(st.lastError().contains("max.message.bytes"), "says what to change: " + st.lastError());
            assertEquals(1, st.cursor());
            assertEquals(List.of(1L), TopicRecords.readAll(broker, topic, false).stream().map(TopicRecords::version).toList());

            // Fixed at the broker, resumed: the refused patch and the ones after it go through, in order.
            try (Admin admin = broker.admin()) {
                ConfigResource res = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                admin.incrementalAlterConfigs(Map.of(res, List.of(new AlterConfigOp(new ConfigEntry("max.message.bytes", "1048576"),
                                                                                     AlterConfigOp.OpType.SET))))
                     .all().get(30, TimeUnit.SECONDS);
            }
            runner.resume();
            awaitCaughtUp(runner, store);
            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            PatchChecks.assertVersionsOnceInOrder(records, 3);
            LogReplay.assertSameDataset(store.dsg, PatchChecks.replay(records, "ds"), "replay after resume");
        }
    }

    @Test
    void aMissingTopicTheSinkMayNotCreateIsWaitedFor(TestBroker broker) throws Exception {
        String topic = uniqueTopic("missing");
        Map<String, String> opts = options(broker, topic);
        opts.put("createTopic", "false");
        try (CapturedStore store = CapturedStore.open(dir, "ds");
             SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
            store.write(1);
            store.write(2);
            Await.until(WAIT, () -> runner.status().state() == SinkState.RETRYING, () -> "sink retrying; status " + runner.status());
            String error = runner.status().lastError();
            assertTrue(error.contains("topic " + topic + " does not exist and cdc:createTopic is false"), error);
            broker.createTopic(topic, Map.of());
            awaitCaughtUp(runner, store);
            assertEquals(SinkState.RUNNING, runner.status().state());
            PatchChecks.assertVersionsOnceInOrder(TopicRecords.readAll(broker, topic, false), 2);
        }
    }

    @Test
    void aCompactedTopicIsRefusedAtStartUp(TestBroker broker) throws Exception {
        String topic = uniqueTopic("compacted");
        broker.createTopic(topic, Map.of("cleanup.policy", "compact"));
        try (CapturedStore store = CapturedStore.open(dir, "ds");
             SinkRunner runner = store.runner(store.kafkaSink("kafka", options(broker, topic)), FAST_RETRY.withDeadLetterDir(dir.resolve("dl")))) {
            store.write(1);
            Await.until(WAIT, () -> runner.status().state() == SinkState.PAUSED, () -> "sink paused; status " + runner.status());
            String error = runner.status().lastError();
            assertTrue(error.contains("cleanup.policy=compact") && error.contains("Set the topic's cleanup.policy to delete"), error);
            assertEquals(0, runner.status().deadLettered(), "a problem of the sink as a whole never sends patches to the dead-letter directory");
            assertTrue(TopicRecords.readAll(broker, topic, false).isEmpty());
        }
    }

    @Test
    void transactionalSinkShowsReadCommittedConsumersWholePatchesOnly(TestBroker broker) throws Exception {
        String topic = uniqueTopic("txn");
        Map<String, String> opts = options(broker, topic);
        opts.put("transactional", "true");
        opts.put("maxMessageBytes", "1024");   // patches of a few KB become several parts
        UUID rogueId = UUID.randomUUID();
        try (CapturedStore store = CapturedStore.open(dir, "ds")) {
            try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                for ( int i = 1 ; i <= 10 ; i++ ) {
                    if ( i % 4 == 3 )
                        store.writeLarge("big" + i, 60);
                    else
                        store.write(i);
                }
                awaitCaughtUp(runner, store);
            }
            // A producer with the sink's transactional id (a previous instance of it, say) leaves
            // the first part of a patch in a transaction it never commits.
            try (KafkaProducer<byte[], byte[]> rogue = rogueProducer(broker, "fuseki-cdc-ds-kafka")) {
                rogue.initTransactions();
                rogue.beginTransaction();
                RecordHeaders h = new RecordHeaders();
                h.add(PatchMessages.ID, rogueId.toString().getBytes(StandardCharsets.UTF_8));
                h.add(PatchMessages.VERSION, "11".getBytes(StandardCharsets.UTF_8));
                h.add(PatchMessages.PART, "0".getBytes(StandardCharsets.UTF_8));
                h.add(PatchMessages.PARTS, "3".getBytes(StandardCharsets.UTF_8));
                rogue.send(new ProducerRecord<>(topic, 0, "ds".getBytes(StandardCharsets.UTF_8), "TX .\n".getBytes(StandardCharsets.UTF_8), h))
                     .get(10, TimeUnit.SECONDS);
                // The sink starts again: its producer fences the rogue one and aborts that transaction.
                try (SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
                    for ( int i = 11 ; i <= 20 ; i++ ) {
                        if ( i % 4 == 3 )
                            store.writeLarge("big" + i, 60);
                        else
                            store.write(i);
                    }
                    awaitCaughtUp(runner, store);
                }
            }
            List<ConsumerRecord<byte[], byte[]>> uncommitted = TopicRecords.readAll(broker, topic, false);
            assertTrue(uncommitted.stream().anyMatch(r -> rogueId.toString().equals(TopicRecords.header(r, PatchMessages.ID))),
                       "the aborted part is in the log, visible to read_uncommitted");

            List<ConsumerRecord<byte[], byte[]>> committed = TopicRecords.readAll(broker, topic, true);
            assertFalse(committed.stream().anyMatch(r -> rogueId.toString().equals(TopicRecords.header(r, PatchMessages.ID))),
                        "read_committed never sees the aborted part");
            // Whole patches only: for each version, parts 0..n-1 in a row, once.
            int i = 0;
            int split = 0;
            for ( long v = 1 ; v <= 20 ; v++ ) {
                ConsumerRecord<byte[], byte[]> first = committed.get(i);
                assertEquals(v, TopicRecords.version(first), "version at " + TopicRecords.describe(first));
                int count = Integer.parseInt(TopicRecords.header(first, PatchMessages.PARTS));
                if ( count > 1 )
                    split++;
                for ( int s = 0 ; s < count ; s++ ) {
                    ConsumerRecord<byte[], byte[]> r = committed.get(i++);
                    assertEquals(v, TopicRecords.version(r), () -> "part of " + TopicRecords.describe(r));
                    assertEquals(Integer.toString(s), TopicRecords.header(r, PatchMessages.PART), () -> "part order at " + TopicRecords.describe(r));
                }
            }
            assertEquals(committed.size(), i, "nothing after version 20");
            assertEquals(5, split, "the large patches were split");
            DatasetGraph replay = readAllWithReader(broker, topic, "ds", 20);
            LogReplay.assertSameDataset(store.dsg, replay, "replay of the committed patches");
        }
    }

    @Test
    void theConsumersShownInTheDocsFollowTheDataset(TestBroker broker) throws Exception {
        // The examples use the default topic of dataset "ds"; start it afresh (an external broker keeps topics between runs).
        try (Admin admin = broker.admin()) {
            if ( admin.listTopics().names().get(30, TimeUnit.SECONDS).contains("fuseki-cdc.ds") ) {
                admin.deleteTopics(List.of("fuseki-cdc.ds")).all().get(30, TimeUnit.SECONDS);
                Await.until(WAIT, () -> !topicExists(admin, "fuseki-cdc.ds"), () -> "topic fuseki-cdc.ds deleted");
            }
        }
        Map<String, String> opts = new HashMap<>(Map.of("bootstrapServers", broker.bootstrapServers(), "maxMessageBytes", "2048"));
        try (CapturedStore store = CapturedStore.open(dir, "ds");
             SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), FAST_RETRY)) {
            for ( int i = 1 ; i <= 8 ; i++ ) {
                if ( i == 4 )
                    store.writeLarge("big", 100);   // parts
                else
                    store.write(i);
            }
            awaitCaughtUp(runner, store);
            long n = store.log.publishedVersion();

            DatasetGraph viaReader = DatasetGraphFactory.createTxnMem();
            long deadline = System.nanoTime() + WAIT.toNanos();
            assertEquals(n, ConsumerSnippets.followWithReader(broker.bootstrapServers(), viaReader, 0, () -> !caughtUp(viaReader, store, deadline)));
            LogReplay.assertSameDataset(store.dsg, viaReader, "follower with KafkaPatchReader");

            // Starting after version 3: only versions 4.. are applied, onto a copy of the data at version 3.
            DatasetGraph viaConsumer = DatasetGraphFactory.createTxnMem();
            for ( int i = 1 ; i <= 3 ; i++ )
                LogReplay.applyChecked(viaConsumer, store.log.read(i));
            long deadline2 = System.nanoTime() + WAIT.toNanos();
            assertEquals(n, ConsumerSnippets.followWithConsumer(broker.bootstrapServers(), viaConsumer, 3, () -> !caughtUp(viaConsumer, store, deadline2)));
            LogReplay.assertSameDataset(store.dsg, viaConsumer, "follower with a plain consumer");
        }
    }

    private static boolean topicExists(Admin admin, String topic) {
        try {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic);
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }

    /** True once {@code replica} holds the store's data, or the deadline has passed. */
    private static boolean caughtUp(DatasetGraph replica, CapturedStore store, long deadline) {
        if ( System.nanoTime() > deadline )
            return true;
        try {
            LogReplay.assertSameDataset(store.dsg, replica, "replica");
            return true;
        } catch (AssertionError notYet) {
            return false;
        }
    }

    private static KafkaProducer<byte[], byte[]> plainProducer(TestBroker broker) {
        Map<String, Object> p = broker.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return new KafkaProducer<>(p);
    }

    private static KafkaProducer<byte[], byte[]> rogueProducer(TestBroker broker, String transactionalId) {
        Map<String, Object> p = broker.clientProperties();
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return new KafkaProducer<>(p);
    }

    /** Read {@code n} patches with {@link KafkaPatchReader}, checking versions and chain, and apply them to a new dataset. */
    private DatasetGraph readAllWithReader(TestBroker broker, String topic, String dataset, long n) throws Exception {
        DatasetGraph replay = DatasetGraphFactory.createTxnMem();
        List<Long> versions = new ArrayList<>();
        String prev = null;
        try (KafkaPatchReader reader = new KafkaPatchReader(broker.clientProperties(), topic, dataset, 0, dir.resolve("reader"))) {
            long deadline = System.nanoTime() + WAIT.toNanos();
            while ( reader.lastVersion() < n && System.nanoTime() < deadline ) {
                for ( Patch patch : reader.poll(Duration.ofMillis(200)) ) {
                    try (patch; var in = patch.open()) {
                        RDFPatch p = PatchChecks.parse(patch.headers().get(PatchMessages.CONTENT_TYPE), in);
                        PatchChecks.checkHeaders(p, patch.headers().get(PatchMessages.ID), patch.headers().get(PatchMessages.PREV), patch.version(), prev,
                                                 dataset);
                        RDFPatchOps.applyChange(replay, p);
                        prev = patch.headers().get(PatchMessages.ID);
                        versions.add(patch.version());
                    }
                }
            }
        }
        List<Long> expected = new ArrayList<>();
        for ( long v = 1 ; v <= n ; v++ )
            expected.add(v);
        assertEquals(expected, versions, "versions from KafkaPatchReader");
        return replay;
    }
}
