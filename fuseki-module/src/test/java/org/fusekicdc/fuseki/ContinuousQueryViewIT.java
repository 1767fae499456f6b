package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Views of configured CONSTRUCT queries in each mode, and who sees them: an ISTREAM view only
 * grows, a DSTREAM view loses what left the answer, and a view's commits reach live queries
 * and followers like any other write.
 */
class ContinuousQueryViewIT {
    private static final String SEEN = "urn:seen";

    @TempDir
    Path work;

    /** A configured query {@code name} putting {@code ?s <urn:seen> true} for each subject of ex:p in one-second windows into {@code graph}. */
    private static String viewQuery(String name, String operator, String graph) {
        return """
            cdc:continuousQuery [
                    cdc:name "%s" ;
                    cdc:query \"""REGISTER %s <urn:q:%s> AS CONSTRUCT { ?s <urn:seen> true }
                        FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S]
                        WHERE { WINDOW <urn:w> { ?s <http://example/p> ?o } }\""" ;
                    cdc:outputGraph <%s>
                ] ;
            """.formatted(name, operator, name, graph);
    }

    private static String withQueries(String config, String... queries) {
        return config.replace("cdc:logDirectory \"", String.join("", queries) + "    cdc:logDirectory \"");
    }

    private static void insert(CdcFuseki f, String subject) {
        assertEquals(204, f.update("ds", "INSERT DATA { <http://example/" + subject + "> <http://example/p> 1 }").statusCode());
    }

    /** The subjects {@code <urn:seen> true} in {@code graph}, local names. */
    private static Set<String> seen(DatasetGraph ds, String graph) {
        Node g = NodeFactory.createURI(graph);
        Set<String> out = new TreeSet<>();
        Txn.executeRead(ds, () -> ds.find(g, Node.ANY, NodeFactory.createURI(SEEN), Node.ANY)
                                     .forEachRemaining(q -> out.add(q.getSubject().getURI().replace("http://example/", ""))));
        return out;
    }

    private static void awaitSeen(String what, DatasetGraph ds, String graph, Set<String> expected) throws InterruptedException {
        TestSupport.await(what, Duration.ofSeconds(20), () -> seen(ds, graph).equals(expected));
    }

    @Test
    void anIstreamViewOnlyGrowsAndADstreamViewLosesWhatLeftTheAnswer() throws Exception {
        String config = withQueries(CdcFuseki.exampleConfig("quickstart.ttl", work),
                                    viewQuery("new", "ISTREAM", "urn:view:new"), viewQuery("gone", "DSTREAM", "urn:view:gone"));
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            DatasetGraph ds = f.dataset("ds");
            // The DSTREAM view starts with two triples of its own; only the one whose subject leaves a window goes.
            assertEquals(204, f.update("ds", "INSERT DATA { GRAPH <urn:view:gone> { <http://example/a> <urn:seen> true . <http://example/z> <urn:seen> true } }")
                               .statusCode());
            insert(f, "a");
            awaitSeen("a added to the ISTREAM view", ds, "urn:view:new", Set.of("a"));
            awaitSeen("a, gone from the next window, removed from the DSTREAM view", ds, "urn:view:gone", Set.of("z"));
            insert(f, "b");
            awaitSeen("b added to the ISTREAM view, a kept though no longer in a window", ds, "urn:view:new", Set.of("a", "b"));
            // Windows go on closing: neither view changes without new events.
            long version = f.dataset("ds").changeLog().publishedVersion();
            TestSupport.await("three more steps of each view", Duration.ofSeconds(20), () -> f.dataset("ds").changeLog().publishedVersion() >= version + 6);
            assertEquals(Set.of("a", "b"), seen(ds, "urn:view:new"));
            assertEquals(Set.of("z"), seen(ds, "urn:view:gone"));
        }
    }

    @Test
    void aLiveQueryOnAViewGraphGetsEachStepsRows() throws Exception {
        String config = withQueries(CdcFuseki.exampleConfig("quickstart.ttl", work), viewQuery("now", "RSTREAM", "urn:view:now"));
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            String query = "SELECT ?s { GRAPH <urn:view:now> { ?s <urn:seen> true } }";
            try (SseClient c = new SseClient(f.url("/ds/live?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8)), Map.of())) {
                assertEquals("initial", c.next().event());
                assertEquals("up-to-date", c.next().event());
                insert(f, "a");
                SseClient.Event added = nextUpdate(c);
                assertEquals(Set.of("http://example/a"), subjects(added, "additions"), added.data());
                // The next window holds nothing: the RSTREAM view is emptied, and the live query sees the row go.
                SseClient.Event removed = nextUpdate(c);
                assertEquals(Set.of("http://example/a"), subjects(removed, "deletions"), removed.data());
            }
        }
    }

    /** The next update event with rows, skipping heartbeats. */
    private static SseClient.Event nextUpdate(SseClient c) throws InterruptedException {
        for ( int i = 0 ; i < 20 ; i++ ) {
            SseClient.Event e = c.next();
            if ( e.event().equals("update") )
                return e;
        }
        throw new AssertionError("no update among 20 events");
    }

    private static Set<String> subjects(SseClient.Event update, String part) {
        Set<String> out = new TreeSet<>();
        for ( JsonValue row : JSON.parse(update.data()).get(part).getAsArray() )
            out.add(row.getAsObject().get("s").getAsObject().get("value").getAsString().value());
        return out;
    }

    @Test
    void aFollowerHoldsTheLeadersViewGraph() throws Exception {
        try (JetStreamFollowing following = new JetStreamFollowing("view")) {
            Path leaderDir = work.resolve("leader");
            Path followerDir = work.resolve("follower");
            String leaderConfig = withQueries(following.leaderConfig(leaderDir), viewQuery("new", "ISTREAM", "urn:view:new"));
            try (CdcFuseki leader = CdcFuseki.start(leaderDir, leaderConfig, b -> {});
                 CdcFuseki follower = CdcFuseki.start(followerDir, following.followerConfig(followerDir, "", "", ""), b -> {})) {
                insert(leader, "a");
                awaitSeen("the leader's view holding a", leader.dataset("ds"), "urn:view:new", Set.of("a"));
                awaitSeen("the follower's copy of the view holding a", follower.dataset("ds"), "urn:view:new", Set.of("a"));
                // The store shows the view's commit a moment before the follower's log publishes it.
                TestSupport.await("the view's commit among the follower's published versions", Duration.ofSeconds(20),
                                  () -> follower.dataset("ds").changeLog().publishedVersion() >= 2);
            }
        }
    }
}
