package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonValue;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server of the access-control tests, one per test class: config-examples/access-control.ttl
 * with users admin, alice, bob and carol (each one's password: the name and "-pw"), and five
 * versions written by the admin through the write service: "default" in the default graph,
 * "public" in graph public, "alice" in graph alice, "secret" and "secret-kept" in graph secret;
 * version 5 deletes "secret" again and adds "public2" in graph public.
 */
abstract class AccessControlFixture {
    static final String G = "http://example/graph/";
    static final String EVERYTHING = "SELECT ?o { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";

    @TempDir
    static Path work;
    static CdcFuseki f;

    @BeforeAll
    static void start() {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\nbob: bob-pw\ncarol: carol-pw\n");
        f = CdcFuseki.start(work, config(work, passwd), b -> {});
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

    /** config-examples/access-control.ttl for a server in {@code dir}, with the password file {@code passwd}. */
    static String config(Path dir, Path passwd) {
        return CdcFuseki.exampleConfig("access-control.ttl", dir).replace("\"" + dir + "/passwd\"", "\"" + passwd + "\"");
    }

    /** An update through the write service, as the admin. */
    static void write(String update) {
        HttpResponse<String> r = f.send(request("/ds-admin/update", "admin").header("Content-Type", "application/sparql-update")
                                                                              .POST(HttpRequest.BodyPublishers.ofString(update)));
        assertEquals(204, r.statusCode(), r.body());
    }

    /** A request as {@code user} (null: anonymous). */
    static HttpRequest.Builder request(String path, String user) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url(path)));
        return user == null ? b : b.header("Authorization", basic(user));
    }

    static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> get(String path, String user) {
        return f.send(request(path, user));
    }

    /** A query string value. */
    static String query(String q) {
        return URLEncoder.encode(q, StandardCharsets.UTF_8);
    }

    /** The literals on a patch text's lines starting with {@code marker} ("A " or "D "). */
    static Set<String> literals(String patchText, String marker) {
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

    /** The values of {@code var} in SPARQL JSON result rows. */
    static Set<String> objects(JsonArray bindings, String var) {
        Set<String> out = new TreeSet<>();
        for ( JsonValue row : bindings )
            out.add(row.getAsObject().get(var).getAsObject().get("value").getAsString().value());
        return out;
    }
}
