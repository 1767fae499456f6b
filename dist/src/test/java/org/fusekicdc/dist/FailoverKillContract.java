package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.atlas.lib.FileOps;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.IsoMatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Failover as an admin runs it, each server the official jena-fuseki-server jar with the
 * fuseki-cdc jar in its own JVM, joined by a broker (a subclass per broker). Every server has the
 * same sink, which acknowledges a write only once its patch is on the topic
 * (cdc:acknowledgeWrites "topic") and is dormant on the followers. The leader is killed (SIGKILL)
 * while writes run; a follower that has applied the whole topic is promoted
 * (POST /$/cdc/ds/promote), which commits its promotion record and starts its dormant sink, which
 * publishes the record; the old leader is restarted with its old configuration right away, before
 * the new leader takes any write, and is fenced by that record (it acknowledges no write and
 * publishes nothing); the new leader takes writes, continuing the version sequence; then the old
 * leader rejoins as a follower from the new leader's snapshot. Every acknowledged write is on the
 * new leader and on the other follower, the topic holds each version once, and all servers end
 * isomorphic. A second case keeps the old leader running through the promotion: its next write
 * never reaches the topic and is never acknowledged.
 */
abstract class FailoverKillContract {
    /** The topic (or subject) one test's servers share: how they reach it, and what it holds. */
    interface Topic extends AutoCloseable {
        /** The cdc:sink of every server, acknowledging writes on this topic, with a trailing " ;". */
        String sink();

        /** The cdc:follow of a follower, with {@code moreOptions} (empty, or starting with "; ") inside its brackets. */
        String follow(String moreOptions);

        /** The versions of the patches on the topic: each must appear once, from 1 on without a gap; returns the last. */
        long versionsOnce() throws Exception;

        @Override
        void close() throws Exception;
    }

    /** A topic no other test uses, on a broker this test reaches (or the test is skipped). */
    protected abstract Topic newTopic() throws Exception;

    @RegisterExtension
    final FusekiNodes nodes = new FusekiNodes();

    @Test
    void aPromotedFollowerHasEveryAcknowledgedWriteAndTheOldLeaderIsFenced() throws Exception {
        try (Topic topic = newTopic()) {
            List<FusekiJvm> servers = startLeaderAndFollowers(topic, "follower-1", "follower-2");
            FusekiJvm leader = servers.get(0), f1 = servers.get(1), f2 = servers.get(2);

            // Writes on the leader, killed while they run.
            Writes writes = new Writes();
            Thread w = writes.startOn(leader);
            writes.awaitAcknowledged(60);
            leader.kill();
            w.join(60_000);
            long lastAcknowledged = writes.highestVersion();

            // The follower that has applied the whole topic becomes the leader.
            long onTopic = topic.versionsOnce();
            assertTrue(onTopic >= lastAcknowledged, "every acknowledged version is on the topic: " + onTopic + " < " + lastAcknowledged);
            long promotedAt = promote(f1, onTopic);
            assertTrue(promotedAt > lastAcknowledged, "promoted at " + promotedAt + " (its promotion record), after every acknowledged version ("
                                                       + lastAcknowledged + ")");

            // Right away, before the new leader takes any write, the old leader comes back with its old configuration: the
            // promotion record on the topic fences it, and it acknowledges nothing.
            leader.start();
            HttpResponse<String> refused = awaitFenced(leader);
            assertTrue(refused.body().contains("fenced"), refused.body());
            assertEquals(409, nodes.post(leader, "/$/cdc/ds/promote").statusCode(), "a server that is not a follower is not promoted");
            assertEquals(promotedAt, topic.versionsOnce(), "the old leader published nothing after the promotion record");

            int before = writes.acknowledged.size();
            writes.onUntilAcknowledged(f1, before + 40);
            assertEquals(promotedAt + 1, writes.firstVersionOnSecond(), "the new leader continues the version sequence");

            long head = nodes.head(f1);
            nodes.awaitCaughtUp(f2, head);
            DatasetGraph newLeader = nodes.dump(f1);
            DatasetGraph follower = nodes.dump(f2);
            for ( Map.Entry<Integer, Long> e : writes.acknowledged.entrySet() ) {
                assertTrue(holds(newLeader, e.getKey()), "acknowledged write " + e.getKey() + " (version " + e.getValue() + ") is on the new leader");
                assertTrue(holds(follower, e.getKey()), "acknowledged write " + e.getKey() + " (version " + e.getValue() + ") is on the other follower");
            }
            assertTrue(IsoMatcher.isomorphic(newLeader, follower), "the follower holds the new leader's data");
            assertEquals(topic.versionsOnce(), head, "the topic holds versions 1.." + head + ", each once");

            // The old leader rejoins as a follower of the new one, from its snapshot.
            leader.stop();
            FileOps.clearAll(nodes.dir("leader").resolve("db").toString());
            FileOps.clearAll(nodes.dir("leader").resolve("changes").toString());
            Files.writeString(nodes.dir("leader").resolve("config.ttl"),
                              config("leader", topic.sink() + topic.follow("; cdc:snapshotUrl \"" + f1.base + "/ds/snapshot\" ")));
            leader.start();
            nodes.awaitCaughtUp(leader, head);
            assertTrue(IsoMatcher.isomorphic(newLeader, nodes.dump(leader)), "the old leader, rejoined, holds the new leader's data");
            System.out.printf("Failover: %d writes acknowledged (%d on the old leader up to version %d, the rest on the promoted follower), %d not"
                              + " acknowledged; head %d%n", writes.acknowledged.size(), before, lastAcknowledged, writes.refused.get(), head);
        }
    }

    /**
     * The old leader is not lost but cut off from the clients (taken out of the load balancer)
     * and still running when a follower is promoted: its next write is committed locally but
     * never reaches the topic and is never acknowledged, its writes are refused from then on, and
     * its log says that it is fenced and what to do.
     */
    @Test
    void anOldLeaderStillRunningIsFencedAtItsNextWrite() throws Exception {
        try (Topic topic = newTopic()) {
            List<FusekiJvm> servers = startLeaderAndFollowers(topic, "follower");
            FusekiJvm leader = servers.get(0), follower = servers.get(1);

            Writes writes = new Writes();
            writes.onUntilAcknowledged(leader, 20);
            long promotedAt = promote(follower, topic.versionsOnce());

            // The old leader, alive, takes a write: it must not reach the topic, and is not acknowledged.
            HttpResponse<String> refused = awaitFenced(leader);
            assertTrue(refused.body().contains("is fenced"), refused.body());
            assertEquals(promotedAt, topic.versionsOnce(), "the old leader's writes after the promotion are not on the topic");
            String log = Files.readString(leader.log());
            assertTrue(log.contains("Dataset 'ds' is fenced") && log.contains("rejoin it as a follower"),
                       "the old leader's log says it is fenced and what to do");

            writes.onUntilAcknowledged(follower, writes.acknowledged.size() + 10);
            assertEquals(promotedAt + 1, writes.firstVersionOnSecond(), "the new leader continues the version sequence");
            assertEquals(nodes.head(follower), topic.versionsOnce(), "the topic holds the new leader's versions, each once");
            DatasetGraph newLeader = nodes.dump(follower);
            for ( Map.Entry<Integer, Long> e : writes.acknowledged.entrySet() )
                assertTrue(holds(newLeader, e.getKey()), "acknowledged write " + e.getKey() + " (version " + e.getValue() + ") is on the new leader");
        }
    }

    // ---- The nodes

    /** The leader, then a follower per name, each with the topic's sink, started together. */
    private List<FusekiJvm> startLeaderAndFollowers(Topic topic, String... followers) throws Exception {
        List<FusekiJvm> servers = new ArrayList<>();
        servers.add(nodes.node("leader", config("leader", topic.sink())));
        for ( String name : followers )
            servers.add(nodes.node(name, config(name, topic.sink() + topic.follow(""))));
        startTogether(servers);
        return servers;
    }

    /** Start the servers at once: a JVM start is most of this test's time. */
    private static void startTogether(List<FusekiJvm> servers) throws Exception {
        List<Thread> starts = new ArrayList<>();
        List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());
        for ( FusekiJvm n : servers )
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
        return CapturedServiceConfig.of(nodes.dir(name), cdcTtl);
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
                        HttpResponse<String> r = nodes.update(server, "INSERT DATA { <http://ex/w" + i + "> <http://ex/n> " + i + " }");
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

        /** Writes on {@code server} until {@code n} writes in all are acknowledged, then stops. */
        void onUntilAcknowledged(FusekiJvm server, int n) throws InterruptedException {
            Thread w = startOn(server);
            try {
                awaitAcknowledged(n);
            } finally {
                stop.set(true);
                w.join(60_000);
            }
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

    /**
     * Promotes the follower once it has applied the topic up to {@code onTopic}: its promotion
     * record is on the topic. Returns the record's version.
     */
    private long promote(FusekiJvm follower, long onTopic) throws Exception {
        nodes.awaitCaughtUp(follower, onTopic);
        HttpResponse<String> promoted = nodes.post(follower, "/$/cdc/ds/promote");
        assertEquals(200, promoted.statusCode(), promoted.body());
        assertTrue(promoted.body().contains("\"promotionOnTopic\" : true"), promoted.body());
        return JSON.parse(promoted.body()).get("version").getAsNumber().value().longValue();
    }

    /** Writes to the restarted old leader until one is refused as fenced; none may be acknowledged meanwhile. */
    private HttpResponse<String> awaitFenced(FusekiJvm oldLeader) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> r = null;
        while ( System.nanoTime() < deadline ) {
            r = nodes.update(oldLeader, "INSERT DATA { <http://ex/zombie> <http://ex/n> " + System.nanoTime() + " }");
            assertTrue(r.statusCode() / 100 != 2, "the fenced old leader acknowledged a write: " + r.statusCode() + " " + r.body());
            if ( r.statusCode() == 403 )
                return r;
        }
        throw new AssertionError("the old leader was not fenced within 60 s; last answer " + (r == null ? "none" : r.statusCode() + " " + r.body()));
    }

    private static boolean holds(DatasetGraph dsg, int write) {
        return dsg.contains(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/w" + write), NodeFactory.createURI("http://ex/n"),
                            NodeFactory.createLiteralDT(Integer.toString(write), XSDDatatype.XSDinteger));
    }

    /** The last of the versions seen on a topic, each of which must have been seen once, from 1 on without a gap. */
    static long eachOnce(TreeMap<Long, Integer> seen) {
        seen.forEach((v, n) -> assertEquals(1, n, "version " + v + " is on the topic " + n + " times"));
        assertEquals(seen.isEmpty() ? 0 : seen.lastKey(), (long)seen.size(), "versions 1.." + (seen.isEmpty() ? 0 : seen.lastKey()) + " without a gap");
        return seen.isEmpty() ? 0 : seen.lastKey();
    }
}
