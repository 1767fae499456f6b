package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.junit.jupiter.api.Test;

/**
 * Graph-level access control through every endpoint, with config-examples/access-control.ttl:
 * Fuseki's password file, service-level fuseki:allowedUsers, an access:AccessControlledDataset
 * over the captured dataset for readers and a write service over the same captured dataset.
 * Per user, exactly which quads each endpoint gives.
 */
class AccessControlIT extends AccessControlFixture {
    // What each user may read now. carol may use the service but has no registry entry: like Jena, every endpoint shows her nothing.
    private static final Set<String> ADMIN_NOW = Set.of("default", "public", "public2", "alice", "secret-kept");
    private static final Set<String> ALICE_NOW = Set.of("public", "public2", "alice");
    private static final Set<String> BOB_NOW = Set.of("default", "public", "public2");

    private static List<Long> versions(String patchText) {
        List<Long> out = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^H version \\D*(\\d+)").matcher(patchText);
        while ( m.find() )
            out.add(Long.parseLong(m.group(1)));
        return out;
    }

    // ---- Resource history

    private static List<Long> historyVersions(String subject, String user) {
        HttpResponse<String> r = get("/ds/history?subject=" + query(subject), user);
        assertEquals(200, r.statusCode(), r.body());
        List<Long> out = new ArrayList<>();
        for ( JsonValue v : JSON.parse(r.body()).get("versions").getAsArray() )
            out.add(v.getAsObject().get("version").getAsNumber().value().longValue());
        return out;
    }

    @Test
    void historyShowsEachUserOnlyTheVersionsThatChangedTheirGraphs() {
        assertEquals(List.of(5L, 4L), historyVersions("http://example/s3", "admin"));
        assertEquals(List.of(), historyVersions("http://example/s3", "alice"), "the secret graph's changes are not alice's to see");
        assertEquals(List.of(), historyVersions("http://example/s3", "bob"));
        assertEquals(List.of(3L), historyVersions("http://example/s2", "alice"));
        assertEquals(List.of(), historyVersions("http://example/s2", "bob"));
        assertEquals(List.of(5L), historyVersions("http://example/s5", "bob"));
        assertEquals(401, get("/ds/history?subject=" + query("http://example/s3"), null).statusCode());
    }

    // ---- SPARQL query (Jena's own access-controlled query operation over the captured dataset)

    @Test
    void queryGivesEachUserTheirGraphs() {
        assertEquals(ADMIN_NOW, sparql("admin"));
        assertEquals(ALICE_NOW, sparql("alice"));
        assertEquals(BOB_NOW, sparql("bob"));
        assertEquals(Set.of(), sparql("carol"), "no registry entry: Jena shows nothing");
        assertEquals(401, get("/ds/sparql?query=" + query(EVERYTHING), null).statusCode());
    }

    private static Set<String> sparql(String user) {
        HttpResponse<String> r = f.send(request("/ds/sparql?query=" + query(EVERYTHING), user).header("Accept", "application/sparql-results+json"));
        assertEquals(200, r.statusCode(), r.body());
        return objects(JSON.parse(r.body()).get("results").getAsObject().get("bindings").getAsArray(), "o");
    }

    // ---- Change feed

    @Test
    void feedPagesCarryOnlyTheUsersQuadsAndEveryVersion() {
        assertFeed("admin", Set.of("default", "public", "alice", "secret", "secret-kept", "public2"), Set.of("secret"));
        assertFeed("alice", Set.of("public", "alice", "public2"), Set.of());
        assertFeed("bob", Set.of("default", "public", "public2"), Set.of());
        assertFeed("carol", Set.of(), Set.of());
        HttpResponse<String> writers = get("/ds-admin/changes?after=0&limit=5", "admin");
        assertEquals(Set.of("default", "public", "alice", "secret", "secret-kept", "public2"), literals(writers.body(), "A "),
                     "the write service has no access control: its feed is the whole log");
        assertEquals(403, get("/ds-admin/changes?after=0", "alice").statusCode(), "fuseki:allowedUsers of the write service");
    }

    private static void assertFeed(String user, Set<String> added, Set<String> deleted) {
        HttpResponse<String> r = get("/ds/changes?after=0&limit=5", user);
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(added, literals(r.body(), "A "), user + " adds");
        assertEquals(deleted, literals(r.body(), "D "), user + " deletes");
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), versions(r.body()), user + ": every version, filtered to nothing or not");
        assertEquals(5, r.body().split("(?m)^TX").length - 1, user + ": each version a transaction");
    }

    @Test
    void aPatchFilteredToNothingKeepsItsVersionAndResumes() {
        HttpResponse<String> r = get("/ds/changes?after=3&limit=1", "alice");
        assertEquals(200, r.statusCode());
        assertEquals(List.of(4L), versions(r.body()), "version 4 touched only the secret graph");
        assertTrue(r.body().contains("TX") && r.body().contains("TC"), r.body());
        assertEquals(Set.of(), literals(r.body(), "A "));
        assertEquals("4", r.headers().firstValue("X-CDC-Last-Version").orElseThrow());
        assertEquals(Set.of("public2"), literals(get("/ds/changes?after=4&limit=1", "alice").body(), "A "));
    }

    @Test
    void feedEventStreamCarriesOnlyTheUsersQuads() throws Exception {
        for ( String user : List.of("alice", "bob") ) {
            StringBuilder all = new StringBuilder();
            try (SseClient c = new SseClient(f.url("/ds/changes?after=0"), Map.of("Authorization", basic(user)))) {
                for ( int v = 1 ; v <= 5 ; v++ ) {
                    SseClient.Event e = c.next();
                    assertEquals("patch", e.event());
                    assertEquals(String.valueOf(v), e.id());
                    all.append(e.data()).append('\n');
                }
            }
            Set<String> expected = user.equals("alice") ? Set.of("public", "alice", "public2") : Set.of("default", "public", "public2");
            assertEquals(expected, literals(all.toString(), "A "), user);
            assertEquals(Set.of(), literals(all.toString(), "D "), user);
        }
    }

    // ---- Snapshot endpoint

    @Test
    void snapshotHoldsTheUsersGraphsOnly() {
        assertEquals(ADMIN_NOW, literals(get("/ds/snapshot", "admin").body(), "A "));
        assertEquals(ALICE_NOW, literals(get("/ds/snapshot", "alice").body(), "A "));
        assertEquals(403, get("/ds/snapshot", "bob").statusCode(), "the endpoint's fuseki:allowedUsers leaves bob out");
        assertEquals(Set.of(), literals(get("/ds/snapshot", "carol").body(), "A "));
    }

    // ---- Live queries

    @Test
    void liveQueriesOverServerSentEventsAreEvaluatedOnTheUsersView() throws Exception {
        String url = f.url("/ds/live?query=" + query(EVERYTHING));
        try (SseClient alice = new SseClient(url, Map.of("Authorization", basic("alice")));
             SseClient bob = new SseClient(url, Map.of("Authorization", basic("bob")))) {
            assertEquals(ALICE_NOW, initialObjects(alice));
            assertEquals(BOB_NOW, initialObjects(bob));
            write("INSERT DATA { GRAPH <" + G + "alice> { <http://example/s6> <http://example/p> \"alice2\" } }");
            SseClient.Event update = alice.next();
            assertEquals("update", update.event());
            assertEquals(Set.of("alice2"), objects(JSON.parse(update.data()).get("additions").getAsArray(), "o"));
            assertNull(bob.poll(1000), "bob cannot see the alice graph: no update for him");
            write("DELETE DATA { GRAPH <" + G + "alice> { <http://example/s6> <http://example/p> \"alice2\" } }");
            assertEquals("update", alice.next().event());
        }
        try (SseClient carol = new SseClient(url, Map.of("Authorization", basic("carol")))) {
            assertEquals(Set.of(), initialObjects(carol));
        }
    }

    @Test
    void oneLiveQueryIsEvaluatedOncePerView() throws Exception {
        // A server of its own: subscriptions other tests left are released in the background.
        Path passwd = CdcFuseki.passwordFile("alice: alice-pw\nbob: bob-pw\n");
        Path dir = work.resolve("views");
        try (CdcFuseki g = CdcFuseki.start(dir, config(dir, passwd), b -> {})) {
            String url = g.url("/ds/live?query=" + query(EVERYTHING));
            try (SseClient alice = new SseClient(url, Map.of("Authorization", basic("alice")));
                 SseClient bob = new SseClient(url, Map.of("Authorization", basic("bob")));
                 SseClient alice2 = new SseClient(url, Map.of("Authorization", basic("alice")))) {
                for ( SseClient c : List.of(alice, bob, alice2) )
                    initialObjects(c);
                var engine = g.runtime("ds").liveEngine();
                assertEquals(3, engine.subscriptionCount());
                assertEquals(2, engine.queryCount(), "alice's two subscriptions share one evaluation; bob's view has its own");
            }
        }
    }

    private static Set<String> initialObjects(SseClient c) throws InterruptedException {
        SseClient.Event initial = c.next();
        assertEquals("initial", initial.event(), initial.data());
        assertEquals("up-to-date", c.next().event());
        return objects(JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray(), "o");
    }

    @Test
    void liveQueriesOverWebSocketAreEvaluatedOnTheUsersView() throws Exception {
        for ( String user : List.of("admin", "alice", "bob", "carol") ) {
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of("Authorization", basic(user)))) {
                c.send("{\"subscribe\": {\"sparql\": \"" + EVERYTHING.replace("\"", "\\\"") + "\", \"alias\": \"all\"}}");
                JsonObject n = c.next().get("notification").getAsObject();
                Set<String> expected = switch (user) {
                    case "admin" -> ADMIN_NOW;
                    case "alice" -> ALICE_NOW;
                    case "bob" -> BOB_NOW;
                    default -> Set.of();
                };
                assertEquals(expected, objects(n.get("addedResults").getAsObject().get("results").getAsObject().get("bindings").getAsArray(), "o"), user);
            }
        }
    }

    // ---- Continuous queries: a window holds the changes to every graph

    private static final String WINDOWED = "SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added>"
                                           + " [RANGE PT1M] WHERE { WINDOW <urn:w> { ?s ?p ?o } }";

    @Test
    void continuousQueriesAreRefusedToUsersWhoMayReadOnlySomeGraphs() throws Exception {
        // Every user of /ds reads through the registry, the admin too (named graphs, not all of them).
        for ( String user : List.of("admin", "alice", "bob", "carol") ) {
            HttpResponse<String> r = f.send(request("/ds/live?query=" + query(WINDOWED), user).header("Accept", "text/event-stream"));
            assertEquals(403, r.statusCode(), user + ": " + r.body());
            assertTrue(r.body().contains("read access to the whole dataset"), r.body());
            try (WsClient c = new WsClient(f.url("/ds/live"), Map.of("Authorization", basic(user)))) {
                c.send("{\"subscribe\": {\"sparql\": \"" + WINDOWED + "\", \"alias\": \"w\"}}");
                JsonObject e = c.next().get("error").getAsObject();
                assertEquals(403, e.get("status_code").getAsNumber().value().intValue(), e.toString());
                assertEquals("forbidden", e.get("error").getAsString().value(), e.toString());
            }
        }
        assertEquals(0, f.runtime("ds").continuousQueries().subscriptionCount(), "no refused query was registered");
    }

    @Test
    void continuousQueriesNeedTheEndpointsAuthentication() {
        HttpResponse<String> anonymous = f.send(request("/ds/live?query=" + query(WINDOWED), null).header("Accept", "text/event-stream"));
        assertEquals(401, anonymous.statusCode(), anonymous.body());
        HttpResponse<String> wrongPassword = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/live?query=" + query(WINDOWED))))
                                                        .header("Accept", "text/event-stream")
                                                        .header("Authorization", "Basic " + Base64.getEncoder().encodeToString("alice:bob-pw".getBytes(StandardCharsets.UTF_8))));
        assertEquals(401, wrongPassword.statusCode(), wrongPassword.body());
    }

    // ---- Admin listing and status (the dashboard's data)

    @Test
    void usersListOnlyTheirOwnSubscriptionsAndTheAdminListsAll() throws Exception {
        String url = f.url("/ds/live?query=" + query("ASK { ?s ?p ?o }"));
        try (SseClient alice = new SseClient(url, Map.of("Authorization", basic("alice")));
             SseClient bob = new SseClient(url, Map.of("Authorization", basic("bob")))) {
            assertEquals("initial", alice.next().event());
            assertEquals("initial", bob.next().event());
            assertEquals(List.of("user:alice"), clients("alice"));
            assertEquals(List.of("user:bob"), clients("bob"));
            assertEquals(List.of(), clients("carol"));
            assertEquals(List.of("user:alice", "user:bob"), clients("admin"));
            assertEquals(403, get("/$/cdc/ds/subscriptions", null).statusCode(), "anonymous, from this machine, with authentication on");

            long bobs = JSON.parse(get("/$/cdc/ds/subscriptions", "bob").body()).get("subscriptions").getAsArray()
                            .get(0).getAsObject().get("id").getAsNumber().value().longValue();
            assertEquals(404, f.send(request("/$/cdc/ds/subscriptions/" + bobs, "alice").DELETE()).statusCode(), "not alice's to close");
            assertEquals(204, f.send(request("/$/cdc/ds/subscriptions/" + bobs, "bob").DELETE()).statusCode(), "bob closes his own");
        }
    }

    private static List<String> clients(String user) {
        HttpResponse<String> r = get("/$/cdc/ds/subscriptions", user);
        assertEquals(200, r.statusCode(), r.body());
        List<String> out = new ArrayList<>();
        for ( JsonValue s : JSON.parse(r.body()).get("subscriptions").getAsArray() )
            out.add(s.getAsObject().get("client").getAsString().value());
        return out.stream().sorted().toList();
    }

    @Test
    void statusShowsSinksAndLogOnlyToTheAdmin() {
        JsonObject admin = dataset(get("/$/cdc", "admin"));
        assertTrue(admin.get("admin").getAsBoolean().value());
        assertTrue(admin.hasKey("logDirectory"));
        JsonObject alice = dataset(get("/$/cdc", "alice"));
        assertFalse(alice.get("admin").getAsBoolean().value());
        assertFalse(alice.hasKey("logDirectory"));
        assertFalse(alice.hasKey("retention"));
        assertEquals(admin.get("headVersion"), alice.get("headVersion"), "versions are no data: everyone sees them");
        assertEquals("/ds/live", alice.get("endpoints").getAsObject().get("live").getAsString().value(), "the service with live queries, for the playground");
    }

    private static JsonObject dataset(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return JSON.parse(r.body()).get("datasets").getAsArray().get(0).getAsObject();
    }

    // ---- Admin role

    @Test
    void adminOperationsNeedAnAdminUser() {
        for ( String user : new String[] {"alice", "bob", "carol", null} ) {
            HttpResponse<String> r = f.send(request("/$/cdc/ds/snapshot", user).POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(403, r.statusCode(), user + ": " + r.body());
            assertEquals(403, get("/$/cdc/ds/snapshot", user).statusCode(), String.valueOf(user));
        }
        HttpResponse<String> r = get("/$/cdc/ds/snapshot", "admin");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(literals(r.body(), "A ").containsAll(ADMIN_NOW), "the admin's snapshot is the whole dataset");
        assertEquals(201, f.send(request("/$/cdc/ds/snapshot", "admin").POST(HttpRequest.BodyPublishers.noBody())).statusCode());
    }
}
