package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.Set;

import org.apache.jena.atlas.json.JSON;
import org.junit.jupiter.api.Test;

/**
 * As-of reads and net changes under graph-level access control (config-examples/access-control.ttl):
 * an earlier version is seen through the access control in force now, so it never shows a
 * graph the user may not read, even one whose quads are gone from the current state.
 */
class AsOfAccessControlIT extends AccessControlFixture {
    private static Set<String> sparql(String user, long version) {
        HttpResponse<String> r = f.send(request("/ds/sparql?version=" + version + "&query=" + query(EVERYTHING), user)
                                            .header("Accept", "application/sparql-results+json"));
        if ( r.statusCode() == 403 )
            return Set.of();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(String.valueOf(version), r.headers().firstValue("X-CDC-Version").orElseThrow());
        return objects(JSON.parse(r.body()).get("results").getAsObject().get("bindings").getAsArray(), "o");
    }

    @Test
    void anEarlierVersionIsSeenThroughTodaysAccessControl() {
        assertEquals(Set.of("default", "public", "alice", "secret", "secret-kept"), sparql("admin", 4));
        assertEquals(Set.of("public", "alice"), sparql("alice", 4), "the secret graph stays hidden, the deleted quad too");
        assertEquals(Set.of("default", "public"), sparql("bob", 4));
        assertEquals(Set.of(), sparql("carol", 4), "no registry entry: nothing");
        assertEquals(Set.of("default", "public"), sparql("bob", 2));
    }

    /** A live subscription as of a version: its initial answer and replayed updates through the user's graphs only. */
    @Test
    void aLiveQueryAsOfAVersionReplaysOnlyTheUsersGraphs() throws Exception {
        String url = f.url("/ds/live?version=3&query=" + query(EVERYTHING));
        try (SseClient c = new SseClient(url, java.util.Map.of("Authorization", basic("alice")))) {
            assertEquals(200, c.response.statusCode());
            SseClient.Event initial = c.next();
            assertEquals("3", initial.id());
            assertEquals(Set.of("public", "alice"), objects(JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray(), "o"));
            SseClient.Event v4 = c.next();
            assertEquals("4", v4.id());
            assertEquals(Set.of(), objects(JSON.parse(v4.data()).get("additions").getAsArray(), "o"), "the secret graph's quads are not replayed");
            SseClient.Event v5 = c.next();
            assertEquals("5", v5.id());
            assertEquals(Set.of("public2"), objects(JSON.parse(v5.data()).get("additions").getAsArray(), "o"));
            assertEquals(Set.of(), objects(JSON.parse(v5.data()).get("deletions").getAsArray(), "o"), "the secret deletion is not shown");
        }
    }

    @Test
    void graphStoreReadsAsOfAVersionHideGraphsTheUserMayNotRead() {
        String secret = "/ds/get?graph=" + query(G + "secret") + "&version=4";
        HttpResponse<String> admin = f.send(request(secret, "admin").header("Accept", "application/n-triples"));
        assertEquals(200, admin.statusCode(), admin.body());
        assertTrue(admin.body().contains("\"secret\""), admin.body());
        HttpResponse<String> alice = f.send(request(secret, "alice").header("Accept", "application/n-triples"));
        assertEquals(404, alice.statusCode(), alice.body());
        assertFalse(alice.body().contains("\"secret\""));
        HttpResponse<String> aliceAll = f.send(request("/ds/get?version=4", "alice").header("Accept", "application/n-quads"));
        assertEquals(200, aliceAll.statusCode(), aliceAll.body());
        assertFalse(aliceAll.body().contains("secret"), aliceAll.body());
        assertTrue(aliceAll.body().contains("\"alice\""), aliceAll.body());
    }

    @Test
    void netChangesCarryOnlyTheUsersQuads() {
        assertEquals(Set.of("secret"), literals(f.send(request("/ds/changes?net=true&after=4&until=5", "admin")).body(), "D "));
        assertEquals(Set.of("secret-kept", "public2"), literals(f.send(request("/ds/changes?net=true&after=3&until=5", "admin")).body(), "A "),
                     "a quad added and removed again in the range is no change");
        HttpResponse<String> alice = f.send(request("/ds/changes?net=true&after=4&until=5", "alice"));
        assertEquals(200, alice.statusCode(), alice.body());
        assertEquals(Set.of(), literals(alice.body(), "D "));
        assertEquals(Set.of("public2"), literals(alice.body(), "A "));
    }
}
