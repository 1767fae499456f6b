package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestPostgres;

/**
 * config-examples/postgres-source.ttl in a real Fuseki against the machine's PostgreSQL: the
 * source is found by ServiceLoader, started and stopped with the server, its rows answer SPARQL
 * queries over Fuseki's own Jetty, and the status endpoint shows it. Skipped without PostgreSQL
 * (failed under CI=true).
 */
class FusekiPostgresSourceIT {
    @TempDir
    Path work;

    String schema;
    String slot;
    CdcFuseki fuseki;

    @BeforeEach
    void setUp() throws Exception {
        TestPostgres.requireServer();
        String id = TestPostgres.unique("");
        schema = "fuseki_it_" + id;
        slot = "fcdc_fuseki_it_" + id;
        TestPostgres.sql("CREATE SCHEMA " + schema,
            "CREATE TABLE " + schema + ".country (code text PRIMARY KEY, name text)",
            "CREATE TABLE " + schema + ".customer (id int PRIMARY KEY, name text, born date, country text REFERENCES " + schema + ".country, bio text)",
            "INSERT INTO " + schema + ".country VALUES ('ch', 'Switzerland')",
            "INSERT INTO " + schema + ".customer VALUES (7, 'Ann', '1990-01-02', 'ch', 'Likes RDF')");
    }

    @AfterEach
    void tearDown() throws Exception {
        if ( fuseki != null )
            fuseki.close();
        if ( schema == null )
            return;
        TestPostgres.dropAll(slot, slot, schema);
    }

    String query(String sparql) {
        HttpResponse<String> r = fuseki.send(HttpRequest.newBuilder(URI.create(fuseki.url("/ds/sparql?query=" + URLEncoder.encode(sparql, StandardCharsets.UTF_8))))
                                                        .header("Accept", "text/csv"));
        assertEquals(200, r.statusCode(), r.body());
        return r.body().replace("\r", "");
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ( !condition.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                fail("Timed out waiting for: " + what);
            Thread.sleep(100);
        }
    }

    @Test
    void theExampleServesTheDatabaseRowsAndFollowsItsTransactions() throws Exception {
        String ttl = TestPostgres.pointExampleAtTestServer(CdcFuseki.exampleConfig("postgres-source.ttl", work))
                              .replace("cdc:passwordEnv \"PGPASSWORD\" ;", "cdc:slotName \"" + slot + "\" ; cdc:publicationName \"" + slot + "\" ;")
                              .replace("\"public.", "\"" + schema + ".");
        fuseki = CdcFuseki.start(work, ttl, b -> b.enableMetrics(true));
        String ann = "SELECT ?name ?born ?country { GRAPH <http://example.org/shop/customers> { "
                     + "<http://example.org/shop/customer/7> <http://example.org/shop#name> ?name ; <http://example.org/shop#born> ?born ; "
                     + "<http://example.org/shop#country> ?country } }";
        await("the snapshot answers queries", () -> query(ann).contains("Ann"));
        assertEquals("name,born,country\nAnn,1990-01-02,http://example.org/shop/country/ch\n", query(ann));

        TestPostgres.sql("UPDATE " + schema + ".customer SET name = 'Anne' WHERE id = 7");
        await("the update answers queries", () -> query(ann).contains("Anne"));

        HttpResponse<String> status = fuseki.send(HttpRequest.newBuilder(URI.create(fuseki.url("/$/cdc"))));
        assertEquals(200, status.statusCode());
        assertTrue(status.body().contains("\"name\" : \"shop\"") && status.body().contains("\"state\" : \"running\"")
                   && status.body().contains("\"type\" : \"PostgresSource\"") && status.body().contains("\"since\" : \""), status.body());
        String metrics = fuseki.send(HttpRequest.newBuilder(URI.create(fuseki.url("/$/metrics")))).body();
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("fusekicdc_source_state{") && l.contains("source=\"shop\"") && l.contains("state=\"running\"")
                                                 && l.endsWith(" 1.0")), "the source's state is a metric: " + metrics);
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("fusekicdc_source_state_since_seconds{") && l.contains("source=\"shop\"")), metrics);
        HttpResponse<String> changes = fuseki.send(HttpRequest.newBuilder(URI.create(fuseki.url("/ds/changes?after=0"))));
        assertTrue(changes.body().contains("sourceLsn"), "the change feed shows the source headers: " + changes.body());
    }
}
