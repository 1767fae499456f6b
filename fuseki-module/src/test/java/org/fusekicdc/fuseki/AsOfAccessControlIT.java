package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As-of reads and net changes under graph-level access control (config-examples/access-control.ttl):
 * an earlier version is seen through the access control in force now, so it never shows a
 * graph the user may not read, even one whose quads are gone from the current state.
 */
class AsOfAccessControlIT {
    private static final String G = "http://example/graph/";
    private static final String EVERYTHING = "SELECT ?o { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";

    @TempDir
    static Path work;
    static CdcFuseki f;

    @BeforeAll
    static void start() {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\nbob: bob-pw\ncarol: carol-pw\n");
        String config = CdcFuseki.exampleConfig("access-control.ttl", work).replace("\"" + work + "/passwd\"", "\"" + passwd + "\"");
        f = CdcFuseki.start(work, config, b -> {});
        write("INSERT DATA { <http://example/s0> <http://example/p> \"default\" }");
        write("INSERT DATA { GRAPH <" + G + "public> { <http://example/s1> <http://example/p> \"public\" } }");
        write("INSERT DATA { GRAPH <" + G + "alice> { <http://example/s2> <http://example/p> \"alice\" } }");
        write("INSERT DATA { GRAPH <" + G + "secret> { <http://example/s3> <http://example/p> \"secret\" . <http://example/s4> <http://example/p> \"secret-kept\" } }");
        // Version 5: "secret" is gone from the current state.
        write("DELETE DATA { GRAPH <" + G + "secret> { <http://example/s3> <http://example/p> \"secret\" } } ;"
              + " INSERT DATA { GRAPH <" + G + "public> { <http://example/s5> <http://example/p> \"public2\" } }");
    }

    @AfterAll
    static void stop() {
        if ( f != null )
            f.close();
    }

    private static void write(String update) {
        HttpResponse<String> r = f.send(request("/ds-admin/update", "admin").header("Content-Type", "application/sparql-update")
                                                                              .POST(HttpRequest.BodyPublishers.ofString(update)));
        assertEquals(204, r.statusCode(), r.body());
    }

    private static HttpRequest.Builder request(String path, String user) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url(path)));
        return user == null ? b : b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8)));
    }

    private static Set<String> sparql(String user, long version) {
        HttpResponse<String> r = f.send(request("/ds/sparql?version=" + version + "&query=" + URLEncoder.encode(EVERYTHING, StandardCharsets.UTF_8), user)
                                            .header("Accept", "application/sparql-results+json"));
        if ( r.statusCode() == 403 )
            return Set.of();
        assertEquals(200, r.statusCode(), r.body());
        assertEquals(String.valueOf(version), r.headers().firstValue("X-CDC-Version").orElseThrow());
        Set<String> out = new TreeSet<>();
        for ( JsonValue row : JSON.parse(r.body()).get("results").getAsObject().get("bindings").getAsArray() )
            out.add(row.getAsObject().get("o").getAsObject().get("value").getAsString().value());
        return out;
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
        String url = f.url("/ds/live?version=3&query=" + URLEncoder.encode(EVERYTHING, StandardCharsets.UTF_8));
        String auth = request("/", "alice").build().headers().firstValue("Authorization").orElseThrow();
        try (SseClient c = new SseClient(url, java.util.Map.of("Authorization", auth))) {
            assertEquals(200, c.response.statusCode());
            SseClient.Event initial = c.next();
            assertEquals("3", initial.id());
            assertEquals(Set.of("public", "alice"), values(JSON.parse(initial.data()).get("results").getAsObject().get("bindings").getAsArray()));
            SseClient.Event v4 = c.next();
            assertEquals("4", v4.id());
            assertEquals(Set.of(), values(JSON.parse(v4.data()).get("additions").getAsArray()), "the secret graph's quads are not replayed");
            SseClient.Event v5 = c.next();
            assertEquals("5", v5.id());
            assertEquals(Set.of("public2"), values(JSON.parse(v5.data()).get("additions").getAsArray()));
            assertEquals(Set.of(), values(JSON.parse(v5.data()).get("deletions").getAsArray()), "the secret deletion is not shown");
        }
    }

    private static Set<String> values(org.apache.jena.atlas.json.JsonArray rows) {
        Set<String> out = new TreeSet<>();
        for ( JsonValue row : rows )
            out.add(row.getAsObject().get("o").getAsObject().get("value").getAsString().value());
        return out;
    }

    @Test
    void graphStoreReadsAsOfAVersionHideGraphsTheUserMayNotRead() {
        String secret = "/ds/get?graph=" + URLEncoder.encode(G + "secret", StandardCharsets.UTF_8) + "&version=4";
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

    private static Set<String> literals(String patchText, String marker) {
        Set<String> out = new TreeSet<>();
        Pattern literal = Pattern.compile("\"([^\"]*)\"");
        for ( String line : patchText.split("\n") ) {
            if ( !line.startsWith(marker) )
                continue;
            Matcher m = literal.matcher(line);
            assertTrue(m.find(), line);
            out.add(m.group(1));
        }
        return out;
    }
}
