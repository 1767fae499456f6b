package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.lib.FileOps;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.IsoMatcher;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover as an admin runs it, each server the official jena-fuseki-server jar with the
 * fuseki-cdc jar in its own JVM, joined by an in-JVM Kafka cluster. The leader acknowledges a
 * write only once its patch is on the topic (cdc:acknowledgeWrites "topic"); it is killed
 * (SIGKILL) while writes run; a follower that has applied the whole topic is promoted
 * (POST /$/cdc/ds/promote), which commits and publishes its promotion record; the old leader is
 * restarted with its old configuration right away, before the new leader takes any write, and is
 * fenced by that record (it acknowledges no write and publishes nothing); the new leader takes
 * writes, continuing the version sequence; then the old leader rejoins as a follower from the new
 * leader's snapshot. Every acknowledged
 * write is on the new leader and on the other follower, the topic holds each version once, and
 * all servers end isomorphic.
 * <p>
 * JetStream is not covered by a kill test: its sink's fencing (the subject sequence refuses the
 * old leader's publish, the patch-id check on reopen fences it) is tested with two runners on one
 * subject in sinks/nats NatsFencingIT; docs/replicas.md says what it leaves open.
 */
class FailoverKillIT {
    @TempDir
    Path work;

    private final List<FusekiJvm> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void killAll() throws InterruptedException {
        for ( FusekiJvm p : processes )
            p.kill();
    }

    @Test
    void aPromotedFollowerHasEveryAcknowledgedWriteAndTheOldLeaderIsFenced() throws Exception {
        String topic = "fuseki-cdc-failover-" + UUID.randomUUID().toString().substring(0, 8);
        try (TestBroker kafka = TestBroker.embedded(null)) {
            String sink = "cdc:sink [ a cdc:KafkaSink ; cdc:name \"replicas\" ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \""
                          + topic + "\" ; cdc:transactional true ; cdc:acknowledgeWrites \"topic\" ; cdc:retryMaxMillis 1000 ] ;";
            String follow = "cdc:follow [ a cdc:KafkaTopic ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \"" + topic
                            + "\" ; cdc:retryMaxMillis 1000 %s] ;";
            Path extra = Files.createDirectories(work.resolve("extra"));
            Files.copy(FusekiJvm.moduleJar(), extra.resolve("fuseki-cdc.jar"));
            FusekiJvm leader = node("leader", extra, config("leader", sink));
            FusekiJvm f1 = node("follower-1", extra, config("follower-1", sink + follow.formatted("")));
            FusekiJvm f2 = node("follower-2", extra, config("follower-2", sink + follow.formatted("")));
            startTogether(leader, f1, f2);

            // Writes on the leader, killed while they run.
            Writes writes = new Writes();
            Thread w = writes.startOn(leader);
            writes.awaitAcknowledged(60);
            leader.kill();
            w.join(60_000);
            long lastAcknowledged = writes.highestVersion();

            // The follower that has applied the whole topic becomes the leader.
            long onTopic = versionsOnce(kafka.bootstrapServers(), topic);
            assertTrue(onTopic >= lastAcknowledged, "every acknowledged version is on the topic: " + onTopic + " < " + lastAcknowledged);
            awaitCaughtUp(f1, onTopic);
            HttpResponse<String> promoted = post(f1, "/$/cdc/ds/promote");
            assertEquals(200, promoted.statusCode(), promoted.body());
            long promotedAt = JSON.parse(promoted.body()).get("version").getAsNumber().value().longValue();
            assertTrue(promotedAt > lastAcknowledged, "promoted at " + promotedAt + " (its promotion record), after every acknowledged version ("
                                                       + lastAcknowledged + ")");
            assertTrue(promoted.body().contains("\"promotionOnTopic\" : true"), promoted.body());

            // Right away, before the new leader takes any write, the old leader comes back with its old configuration: the
            // promotion record on the topic fences it, and it acknowledges nothing.
            leader.start();
            HttpResponse<String> refused = awaitFenced(leader);
            assertTrue(refused.body().contains("fenced"), refused.body());
            assertEquals(409, post(leader, "/$/cdc/ds/promote").statusCode(), "a server that is not a follower is not promoted");
            assertEquals(promotedAt, versionsOnce(kafka.bootstrapServers(), topic), "the old leader published nothing after the promotion record");

            int before = writes.acknowledged.size();
            w = writes.startOn(f1);
            writes.awaitAcknowledged(before + 40);
            writes.stop.set(true);
            w.join(60_000);
            assertEquals(promotedAt + 1, writes.firstVersionOnSecond(), "the new leader continues the version sequence");

            long head = head(f1);
            awaitCaughtUp(f2, head);
            DatasetGraph newLeader = dump(f1);
            DatasetGraph follower = dump(f2);
            for ( Map.Entry<Integer, Long> e : writes.acknowledged.entrySet() ) {
                assertTrue(holds(newLeader, e.getKey()), "acknowledged write " + e.getKey() + " (version " + e.getValue() + ") is on the new leader");
                assertTrue(holds(follower, e.getKey()), "acknowledged write " + e.getKey() + " (version " + e.getValue() + ") is on the other follower");
            }
            assertTrue(IsoMatcher.isomorphic(newLeader, follower), "the follower holds the new leader's data");
            assertEquals(versionsOnce(kafka.bootstrapServers(), topic), head, "the topic holds versions 1.." + head + ", each once");

            // The old leader rejoins as a follower of the new one, from its snapshot.
            leader.stop();
            FileOps.clearAll(work.resolve("leader").resolve("db").toString());
            FileOps.clearAll(work.resolve("leader").resolve("changes").toString());
            Files.writeString(work.resolve("leader").resolve("config.ttl"),
                              config("leader", sink + follow.formatted("; cdc:snapshotUrl \"" + f1.base + "/ds/snapshot\" ")));
            leader.start();
            awaitCaughtUp(leader, head);
            assertTrue(IsoMatcher.isomorphic(newLeader, dump(leader)), "the old leader, rejoined, holds the new leader's data");
            System.out.printf("Failover: %d writes acknowledged (%d on the old leader up to version %d, the rest on the promoted follower), %d not"
                              + " acknowledged; head %d%n", writes.acknowledged.size(), before, lastAcknowledged, writes.refused.get(), head);
        }
    }

    // ---- The nodes

    private FusekiJvm node(String name, Path extra, String config) throws IOException {
        Path dir = Files.createDirectories(work.resolve(name));
        Files.writeString(dir.resolve("config.ttl"), config);
        FusekiJvm node = new FusekiJvm(name, dir, extra, dir.resolve("config.ttl"), "384m");
        processes.add(node);
        return node;
    }

    /** Start the servers at once: a JVM start is most of this test's time. */
    private static void startTogether(FusekiJvm... nodes) throws Exception {
        List<Thread> starts = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for ( FusekiJvm n : nodes )
            starts.add(Thread.ofPlatform().name("start-" + n.name).start(() -> {
                try {
                    n.start();
                } catch (Throwable ex) {
                    failures.add(ex);
                }
            }));
        for ( Thread t : starts )
            t.join();
        if ( !failures.isEmpty() )
            throw new AssertionError("a server did not start", failures.get(0));
    }

    /** Every server has the same endpoints, so that any can lead. */
    private String config(String name, String cdcTtl) {
        Path dir = work.resolve(name);
        return """
            PREFIX fuseki: <http://jena.apache.org/fuseki#>
            PREFIX tdb2:   <http://jena.apache.org/2016/tdb#>
            PREFIX cdc:    <https://w3id.org/fuseki-cdc#>
            <#service> a fuseki:Service ; fuseki:name "ds" ;
                fuseki:endpoint [ fuseki:operation fuseki:query ] , [ fuseki:operation fuseki:update ; fuseki:name "update" ] ,
                                [ fuseki:operation fuseki:gsp-r ; fuseki:name "data" ] , [ fuseki:operation cdc:snapshot ; fuseki:name "snapshot" ] ;
                fuseki:dataset <#captured> .
            <#captured> a cdc:CapturedDataset ;
                cdc:dataset [ a tdb2:DatasetTDB2 ; tdb2:location "%s/db" ] ;
                %s
                cdc:logDirectory "%s/changes" .
            """.formatted(dir, cdcTtl, dir);
    }

    // ---- The writes

    /** One write at a time, each inserting its own triple; remembers which were acknowledged (2xx) and with which version. */
    private final class Writes {
        final Map<Integer, Long> acknowledged = new ConcurrentHashMap<>();
        final Map<Long, Integer> byVersion = new ConcurrentHashMap<>();
        final AtomicInteger refused = new AtomicInteger();
        final AtomicBoolean stop = new AtomicBoolean();
        private int next;
        private volatile long firstOnSecond = -1;

        Thread startOn(FusekiJvm server) {
            stop.set(false);
            boolean second = next > 0;
            return Thread.ofPlatform().name("failover-writes").start(() -> {
                while ( !stop.get() ) {
                    int i = ++next;
                    try {
                        HttpResponse<String> r = update(server, "INSERT DATA { <http://ex/w" + i + "> <http://ex/n> " + i + " }");
                        if ( r.statusCode() / 100 == 2 ) {
                            long v = Long.parseLong(r.headers().firstValue("X-CDC-Version").orElseThrow());
                            acknowledged.put(i, v);
                            byVersion.put(v, i);
                            if ( second && firstOnSecond < 0 )
                                firstOnSecond = v;
                        } else {
                            refused.incrementAndGet();
                        }
                    } catch (IOException ex) {
                        return;   // the server is gone
                    } catch (InterruptedException ex) {
                        return;
                    }
                }
            });
        }

        void awaitAcknowledged(int n) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while ( acknowledged.size() < n ) {
                if ( System.nanoTime() > deadline )
                    throw new AssertionError("only " + acknowledged.size() + " of " + n + " writes acknowledged");
                Thread.sleep(20);
            }
        }

        long highestVersion() {
            return byVersion.keySet().stream().mapToLong(Long::longValue).max().orElse(0);
        }

        /** The version of the first write acknowledged by the second server written to. */
        long firstVersionOnSecond() {
            return firstOnSecond;
        }
    }

    // ---- Requests and checks

    private HttpResponse<String> update(FusekiJvm server, String update) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.base + "/ds/update")).timeout(Duration.ofSeconds(30))
                                    .header("Content-Type", "application/sparql-update").POST(HttpRequest.BodyPublishers.ofString(update)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(FusekiJvm server, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(server.base + path)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                         HttpResponse.BodyHandlers.ofString());
    }

    /** Writes to the restarted old leader until one is refused as fenced; none may be acknowledged meanwhile. */
    private HttpResponse<String> awaitFenced(FusekiJvm oldLeader) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> r = null;
        while ( System.nanoTime() < deadline ) {
            r = update(oldLeader, "INSERT DATA { <http://ex/zombie> <http://ex/n> " + System.nanoTime() + " }");
            assertTrue(r.statusCode() / 100 != 2, "the fenced old leader acknowledged a write: " + r.statusCode() + " " + r.body());
            if ( r.statusCode() == 403 )
                return r;
        }
        throw new AssertionError("the old leader was not fenced within 60 s; last answer " + (r == null ? "none" : r.statusCode() + " " + r.body()));
    }

    private JsonObject status(FusekiJvm node) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create(node.base + "/$/cdc")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return JSON.parse(body).get("datasets").getAsArray().get(0).getAsObject();
    }

    private long head(FusekiJvm node) throws Exception {
        return status(node).get("headVersion").getAsNumber().value().longValue();
    }

    private void awaitCaughtUp(FusekiJvm follower, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        JsonObject f = null;
        while ( System.nanoTime() < deadline ) {
            f = status(follower).get("follower").getAsObject();
            if ( f.get("appliedVersion").getAsNumber().value().longValue() >= version && f.get("lagVersions").getAsNumber().value().longValue() == 0 )
                return;
            assertTrue(!"halted".equals(f.get("state").getAsString().value()), follower.name + " halted: " + f);
            Thread.sleep(100);
        }
        throw new AssertionError(follower.name + " did not reach version " + version + ": " + f);
    }

    private DatasetGraph dump(FusekiJvm node) throws Exception {
        String nquads = http.send(HttpRequest.newBuilder(URI.create(node.base + "/ds/data")).header("Accept", "application/n-quads").build(),
                                  HttpResponse.BodyHandlers.ofString()).body();
        DatasetGraph dsg = DatasetGraphFactory.create();
        RDFParser.fromString(nquads, Lang.NQUADS).parse(dsg);
        return dsg;
    }

    private static boolean holds(DatasetGraph dsg, int write) {
        return dsg.contains(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/w" + write), NodeFactory.createURI("http://ex/n"),
                            NodeFactory.createLiteralDT(Integer.toString(write), XSDDatatype.XSDinteger));
    }

    /** The versions of the committed records on the topic: each must appear once, from 1 on without a gap; returns the last. */
    private static long versionsOnce(String bootstrap, String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        TreeMap<Long, Integer> seen = new TreeMap<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while ( c.position(tp) < end && System.nanoTime() < deadline ) {
                for ( ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(500)) ) {
                    Header h = r.headers().lastHeader("cdc-version");
                    if ( h != null )
                        seen.merge(Long.parseLong(new String(h.value(), StandardCharsets.UTF_8)), 1, Integer::sum);
                }
            }
        }
        seen.forEach((v, n) -> assertEquals(1, n, "version " + v + " is on the topic " + n + " times"));
        assertEquals(seen.isEmpty() ? 0 : seen.lastKey(), (long)seen.size(), "versions 1.." + seen.lastKey() + " without a gap");
        return seen.isEmpty() ? 0 : seen.lastKey();
    }
}
