package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.nats.client.Connection;
import io.nats.client.Nats;
import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.IsoMatcher;
import org.fusekicdc.sink.kafka.TestBroker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Replicas as an admin runs them: a leader and followers, each the official jena-fuseki-server
 * jar with the fuseki-cdc jar in its own JVM, joined by a real broker. A random write workload
 * runs on the leader while the leader and the followers are killed (SIGKILL) and restarted and
 * the broker is restarted; one follower joins late from the leader's snapshot. At the end every
 * follower holds exactly the leader's data, at the leader's head version, with no lag.
 * <p>
 * Kafka: an in-JVM KRaft cluster of this test's own (it must restart the broker). NATS: the
 * server at NATS_URL, else 127.0.0.1:4222 (.ci/run starts one), not restarted.
 */
class ReplicationKillIT {
    private static final long SEED = Long.getLong("fusekicdc.replicationSeed", 0xfeed_cdcL);

    @RegisterExtension
    final FusekiNodes nodes = new FusekiNodes();
    private int kills;

    @Test
    void followersOverKafkaEndEqualToTheLeaderThroughKillsAndABrokerRestart() throws Exception {
        String topic = "fuseki-cdc-replication-" + UUID.randomUUID().toString().substring(0, 8);
        try (TestBroker kafka = TestBroker.embedded(null)) {
            String sink = "cdc:sink [ a cdc:KafkaSink ; cdc:name \"kafka\" ; cdc:bootstrapServers \"" + kafka.bootstrapServers()
                          + "\" ; cdc:topic \"" + topic + "\" ; cdc:transactional true ; cdc:retryMaxMillis 1000 ] ;";
            String follow = "cdc:follow [ a cdc:KafkaTopic ; cdc:bootstrapServers \"" + kafka.bootstrapServers() + "\" ; cdc:topic \"" + topic
                            + "\" ; cdc:retryMaxMillis 1000 ; cdc:snapshotUrl \"%s\" ] ;";
            run(sink, follow, 2, 3, () -> {
                kafka.stopBroker();
                Thread.sleep(3000);
                kafka.startBroker();
            });
        }
    }

    @Test
    void followerOverJetStreamEndsEqualToTheLeaderThroughKills() throws Exception {
        String natsUrl = System.getenv().getOrDefault("NATS_URL", "nats://127.0.0.1:4222");
        String id = UUID.randomUUID().toString().substring(0, 8);
        String subject = "fuseki-cdc-replication." + id;
        String stream = "FUSEKI_CDC_REPLICATION_" + id.toUpperCase();
        String where = "cdc:url \"" + natsUrl + "\" ; cdc:subject \"" + subject + "\" ; cdc:stream \"" + stream + "\"";
        try (Connection nats = Nats.connect(natsUrl)) {
            try {
                run("cdc:sink [ a cdc:NatsSink ; cdc:name \"nats\" ; " + where + " ; cdc:retryMaxMillis 1000 ] ;",
                    "cdc:follow [ a cdc:JetStreamSubject ; " + where + " ; cdc:retryMaxMillis 1000 ; cdc:snapshotUrl \"%s\" ] ;", 1, 1, null);
            } finally {
                nats.jetStreamManagement().deleteStream(stream);
            }
        }
    }

    @FunctionalInterface
    interface BrokerRestart {
        void run() throws Exception;
    }

    /**
     * The scenario: leader and first follower up; writes start; the first follower is killed and
     * restarted; the second joins from the snapshot; then, {@code rounds} times: the leader is
     * killed and restarted, each follower is killed and restarted (and, in the first round, the
     * broker is restarted); writes stop; all converge.
     */
    private void run(String sinkTtl, String followTtl, int followerCount, int rounds, BrokerRestart brokerRestart) throws Exception {
        FusekiJvm leader = nodes.node("leader", leaderConfig(sinkTtl));
        String snapshotUrl = leader.base + "/ds/snapshot";
        List<FusekiJvm> followers = new ArrayList<>();
        for ( int i = 1 ; i <= followerCount ; i++ )
            followers.add(nodes.node("follower-" + i, followerConfig("follower-" + i, followTtl.formatted(snapshotUrl))));

        leader.start();
        followers.get(0).start();
        Writer writer = new Writer(leader, new Random(SEED));
        Thread writes = Thread.ofPlatform().name("replication-writes").start(writer);
        try {
            writer.awaitCommitted(300);
            kill(followers.get(0));
            writer.awaitCommitted(writer.committed() + 150);
            followers.get(0).start();
            if ( followers.size() > 1 ) {
                followers.get(1).start();   // empty: loads the leader's snapshot, then follows
                writer.awaitCommitted(writer.committed() + 150);
            }
            for ( int round = 1 ; round <= rounds ; round++ ) {
                kill(leader);
                Thread.sleep(500);
                leader.start();
                writer.awaitCommitted(writer.committed() + 300);
                if ( round == 1 && brokerRestart != null ) {
                    brokerRestart.run();
                    writer.awaitCommitted(writer.committed() + 200);
                }
                for ( FusekiJvm f : followers ) {
                    kill(f);
                    writer.awaitCommitted(writer.committed() + 150);
                    f.start();
                }
            }
            writer.awaitCommitted(writer.committed() + 300);
        } finally {
            writer.stop.set(true);
            writes.join(30_000);
        }

        long head = nodes.head(leader);
        DatasetGraph expected = nodes.dump(leader);
        for ( FusekiJvm f : followers ) {
            assertEquals(head, nodes.awaitCaughtUp(f, head), f.name + " is at the leader's head");
            DatasetGraph actual = nodes.dump(f);
            assertTrue(IsoMatcher.isomorphic(expected, actual), () -> f.name + " holds exactly the leader's data at version " + head + ": "
                                                                    + difference(expected, actual) + "; follower status " + followerStatus(f));
        }
        System.out.printf("Replication: %d transactions committed (%d requests failed while a node was down), leader head %d,"
                          + " %d follower(s) equal to the leader after %d kills%n", writer.committed(), writer.failed.get(), head,
                          followers.size(), kills);
    }

    // ---- The nodes

    /** SIGKILL, counted. */
    private void kill(FusekiJvm node) throws InterruptedException {
        if ( node.kill() )
            kills++;
    }

    private String leaderConfig(String sinkTtl) {
        return CapturedServiceConfig.of(nodes.dir("leader"), sinkTtl);
    }

    /** The shipped follower example, pointed at this test's directories and broker. */
    private String followerConfig(String name, String followTtl) throws IOException {
        String example = Files.readString(FusekiJvm.repoRoot().resolve("config-examples/follower.ttl"), StandardCharsets.UTF_8);
        int start = example.indexOf("    cdc:follow [");
        int end = example.indexOf("    ] .", start) + "    ] .".length();
        String config = example.substring(0, start) + "    " + followTtl.replaceAll(" ;$", " .") + example.substring(end);
        return config.replace("\"run/", "\"" + nodes.dir(name) + "/");
    }

    // ---- The workload

    /** Random transactions on the leader, one at a time; a request that fails (the leader is down) is simply lost. */
    private final class Writer implements Runnable {
        final FusekiJvm leader;
        final Random random;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger committed = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        Writer(FusekiJvm leader, Random random) {
            this.leader = leader;
            this.random = random;
        }

        int committed() {
            return committed.get();
        }

        void awaitCommitted(int n) throws InterruptedException {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while ( committed.get() < n ) {
                if ( System.nanoTime() > deadline )
                    throw new AssertionError("the workload did not reach " + n + " committed transactions (at " + committed.get() + ")");
                Thread.sleep(20);
            }
        }

        @Override
        public void run() {
            while ( !stop.get() ) {
                String update = nextUpdate();
                try {
                    HttpResponse<String> r = nodes.update(leader, update);
                    if ( r.statusCode() == 204 || r.statusCode() == 200 )
                        committed.incrementAndGet();
                    else
                        failed.incrementAndGet();
                } catch (IOException ex) {
                    failed.incrementAndGet();
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        return;
                    }
                } catch (InterruptedException ex) {
                    return;
                }
            }
        }

        private String nextUpdate() {
            String graph = switch (random.nextInt(3)) {
                case 0 -> null;
                case 1 -> "http://ex/g1";
                default -> "http://ex/g2";
            };
            int s = random.nextInt(200);
            StringBuilder u = new StringBuilder("PREFIX ex: <http://ex/> ");
            if ( random.nextInt(4) == 0 ) {
                u.append(graph == null ? "DELETE WHERE { ex:s" + s + " ?p ?o }" : "DELETE WHERE { GRAPH <" + graph + "> { ex:s" + s + " ?p ?o } }");
                return u.toString();
            }
            StringBuilder quads = new StringBuilder();
            int n = 1 + random.nextInt(5);
            for ( int i = 0 ; i < n ; i++ )
                quads.append("ex:s").append(random.nextInt(200)).append(" ex:p").append(random.nextInt(5)).append(' ')
                     .append(random.nextInt(3) == 0 ? "\"text " + random.nextInt(1000) + "\"@en" : Integer.toString(random.nextInt(100))).append(" . ");
            u.append("INSERT DATA { ").append(graph == null ? quads : "GRAPH <" + graph + "> { " + quads + "}").append(" }");
            return u.toString();
        }
    }

    // ---- Checks

    /** What two datasets of ground quads disagree on, a few quads each way. */
    private static String difference(DatasetGraph expected, DatasetGraph actual) {
        List<Quad> missing = new ArrayList<>();
        expected.find().forEachRemaining(q -> { if ( !actual.contains(q) ) missing.add(q); });
        List<Quad> extra = new ArrayList<>();
        actual.find().forEachRemaining(q -> { if ( !expected.contains(q) ) extra.add(q); });
        return "leader " + Iter.count(expected.find()) + " quads, follower " + Iter.count(actual.find()) + "; missing on the follower "
               + missing.size() + " " + missing.stream().limit(5).toList() + ", only on the follower " + extra.size() + " "
               + extra.stream().limit(5).toList();
    }

    private String followerStatus(FusekiJvm f) {
        try {
            return nodes.status(f).get("follower").toString();
        } catch (Exception ex) {
            return "unreadable: " + ex;
        }
    }
}
