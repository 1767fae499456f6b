package org.fusekicdc.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestPostgres;

/**
 * The PostgreSQL source as an admin deploys it: the official jena-fuseki-server jar in its own
 * JVM, the fuseki-cdc jar and the source's -all jar beside it, config-examples/postgres-source.ttl
 * against the machine's PostgreSQL. The rows answer SPARQL over Fuseki's own Jetty. Skipped
 * without PostgreSQL (failed under CI=true).
 */
class SourceJarIT {
    @TempDir
    Path work;

    @Test
    void theOfficialServerWithTheSourceJarServesTheDatabaseRows() throws Exception {
        TestPostgres.requireServer();
        Path moduleJar = FusekiJvm.moduleJar();
        Path sourceJar = Path.of(System.getProperty("fusekicdc.sourcePostgresJar"));
        assertTrue(Files.exists(moduleJar) && Files.exists(sourceJar), "jars not built: " + moduleJar + ", " + sourceJar);
        Path extra = Files.createDirectories(work.resolve("extra"));
        Files.copy(moduleJar, extra.resolve("fuseki-cdc.jar"));
        Files.copy(sourceJar, extra.resolve("fuseki-cdc-source-postgres.jar"));

        String id = TestPostgres.unique("");
        String schema = "dist_it_" + id;
        String slot = "fcdc_dist_it_" + id;
        TestPostgres.sql("CREATE SCHEMA " + schema,
            "CREATE TABLE " + schema + ".country (code text PRIMARY KEY, name text)",
            "CREATE TABLE " + schema + ".customer (id int PRIMARY KEY, name text, born date, country text, bio text)",
            "INSERT INTO " + schema + ".country VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + schema + ".customer VALUES (7, 'Ann', '1990-01-02', 'ch', 'Likes RDF')");
        String ttl = TestPostgres.pointExampleAtTestServer(Files.readString(FusekiJvm.repoRoot().resolve("config-examples/postgres-source.ttl")))
                          .replace("\"run/", "\"" + work.toAbsolutePath() + "/")
                          .replace("cdc:passwordEnv \"PGPASSWORD\" ;", "cdc:slotName \"" + slot + "\" ; cdc:publicationName \"" + slot + "\" ;")
                          .replace("\"public.", "\"" + schema + ".");
        Path config = work.resolve("config.ttl");
        Files.writeString(config, ttl);
        FusekiJvm fuseki = new FusekiJvm("fuseki", work, extra, config, "512m");
        HttpClient http = HttpClient.newHttpClient();
        String base = fuseki.base;
        try {
            fuseki.start();
            String q = "SELECT ?name { GRAPH ?g { <http://example.org/shop/customer/7> <http://example.org/shop#name> ?name } }";
            String url = base + "/ds/sparql?query=" + URLEncoder.encode(q, StandardCharsets.UTF_8);
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            String body = "";
            while ( !body.contains("Ann") ) {
                if ( !fuseki.isAlive() )
                    fail("Fuseki exited:\n" + Files.readString(fuseki.log()));
                if ( System.nanoTime() > deadline )
                    fail("The snapshot did not reach the dataset; last answer " + body + "\n" + Files.readString(fuseki.log()));
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/csv").build(), HttpResponse.BodyHandlers.ofString());
                    body = r.statusCode() == 200 ? r.body() : "";
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(200);
            }
            assertEquals("name\r\nAnn\r\n", body);
            String status = http.send(HttpRequest.newBuilder(URI.create(base + "/$/cdc")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(status.contains("\"type\" : \"PostgresSource\""), status);
        } finally {
            fuseki.stop();
            TestPostgres.dropAll(slot, slot, schema);
        }
    }
}
