package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.json.JsonValue;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.ResultSet;
import org.apache.jena.query.ResultSetFactory;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.riot.ResultSetMgr;
import org.apache.jena.riot.resultset.ResultSetLang;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * As-of reads and net changes through Fuseki's own endpoints, differential: a random workload
 * is written through SPARQL Update, the test keeps a dump of the dataset after every version,
 * and queries and GSP reads as of random versions (by {@code version} and by
 * {@code Accept-Datetime}) must equal the same reads of the dumps; net changes between random
 * versions must equal the difference of the dumps. Then bad requests, and retention's 410.
 */
class AsOfIT {
    private static final String EVERYTHING = "SELECT ?g ?s ?p ?o { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }";
    private static final String JOIN = "SELECT ?s ?o2 { ?s <http://example/p0> ?o . ?o <http://example/p1> ?o2 }";
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    @TempDir
    static Path work;
    static CdcFuseki f;
    static List<Set<Quad>> dumps;
    static List<Instant> committed;
    static long seed;

    @BeforeAll
    static void start() {
        f = CdcFuseki.startQuickstart(work);
        seed = System.nanoTime();
        RandomVersions written = new RandomVersions(f, new Random(seed), new String[] { null, "http://example/g1", "http://example/g2" }, 5);
        written.writeUntil(40);
        dumps = written.dumps();
        committed = written.committed();
    }

    @AfterAll
    static void stop() {
        if ( f != null )
            f.close();
    }

    private static List<String> rows(ResultSet rs) {
        List<String> vars = rs.getResultVars().stream().sorted().toList();
        List<String> rows = new ArrayList<>();
        rs.forEachRemaining(r -> rows.add(vars.stream().map(v -> v + "=" + r.get(v)).toList().toString()));
        rows.sort(null);
        return rows;
    }

    private static List<String> expected(Set<Quad> dump, String query) {
        try (QueryExecution qe = QueryExecutionFactory.create(query, DatasetFactory.wrap(RandomVersions.copy(dump)))) {
            return rows(qe.execSelect());
        }
    }

    private static HttpResponse<String> get(String path, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url(path)));
        for ( int i = 0 ; i < headers.length ; i += 2 )
            b.header(headers[i], headers[i + 1]);
        return f.send(b);
    }

    private static String q(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static List<String> answer(HttpResponse<String> r) {
        assertEquals(200, r.statusCode(), r.body());
        return rows(ResultSetFactory.copyResults(ResultSetMgr.read(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)), ResultSetLang.RS_JSON)));
    }

    @Test
    void queriesAsOfRandomVersionsEqualQueriesOnTheDumps() {
        Random rnd = new Random(seed + 1);
        for ( int i = 0 ; i < 25 ; i++ ) {
            int v = rnd.nextInt(dumps.size());
            String query = rnd.nextBoolean() ? EVERYTHING : JOIN;
            String endpoint = rnd.nextBoolean() ? "/ds/sparql?query=" : "/ds?query=";
            HttpResponse<String> r = get(endpoint + q(query) + "&version=" + v, "Accept", "application/sparql-results+json");
            assertEquals(expected(dumps.get(v), query), answer(r), "seed " + seed + ", version " + v + ": " + query);
            assertEquals(String.valueOf(v), r.headers().firstValue("X-CDC-Version").orElse(null));
            if ( v > 0 )
                assertEquals(HTTP_DATE.format(committed.get(v)), r.headers().firstValue("Memento-Datetime").orElse(null));
        }
        // POSTed queries too.
        HttpResponse<String> post = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/query?version=7"))).header("Content-Type", "application/sparql-query")
                                                      .header("Accept", "application/sparql-results+json").POST(HttpRequest.BodyPublishers.ofString(EVERYTHING)));
        assertEquals(expected(dumps.get(7), EVERYTHING), answer(post));
    }

    @Test
    void aQueryWithoutVersionIsTheCurrentStateUnchanged() {
        HttpResponse<String> r = get("/ds/sparql?query=" + q(EVERYTHING), "Accept", "application/sparql-results+json");
        assertEquals(expected(dumps.getLast(), EVERYTHING), answer(r));
        assertTrue(r.headers().firstValue("X-CDC-Version").isEmpty(), "only as-of answers name a version");
    }

    @Test
    void acceptDatetimeReadsTheLastVersionCommittedAtOrBeforeIt() {
        Random rnd = new Random(seed + 2);
        for ( int i = 0 ; i < 10 ; i++ ) {
            int v = 1 + rnd.nextInt(dumps.size() - 1);
            // An HTTP date has whole seconds: ask at the second after version v's commit; the answer is the last version committed at or before it.
            Instant second = committed.get(v).truncatedTo(java.time.temporal.ChronoUnit.SECONDS).plusSeconds(1);
            int expectedVersion = v;
            while ( expectedVersion + 1 < committed.size() && !committed.get(expectedVersion + 1).isAfter(second) )
                expectedVersion++;
            HttpResponse<String> r = get("/ds/sparql?query=" + q(EVERYTHING), "Accept", "application/sparql-results+json", "Accept-Datetime", HTTP_DATE.format(second));
            assertEquals(String.valueOf(expectedVersion), r.headers().firstValue("X-CDC-Version").orElse(null), "at " + HTTP_DATE.format(second));
            assertEquals(expected(dumps.get(expectedVersion), EVERYTHING), answer(r));
            assertEquals(HTTP_DATE.format(committed.get(expectedVersion)), r.headers().firstValue("Memento-Datetime").orElseThrow());
            assertTrue(r.headers().allValues("Vary").stream().anyMatch(s -> s.contains("Accept-Datetime")));
        }
        HttpResponse<String> future = get("/ds/sparql?query=" + q(EVERYTHING), "Accept-Datetime", "Fri, 01 Jan 2100 00:00:00 GMT");
        assertEquals(String.valueOf(dumps.size() - 1), future.headers().firstValue("X-CDC-Version").orElseThrow());
    }

    @Test
    void graphStoreReadsAsOfRandomVersionsEqualTheDumps() {
        Random rnd = new Random(seed + 3);
        for ( int i = 0 ; i < 15 ; i++ ) {
            int v = rnd.nextInt(dumps.size());
            HttpResponse<String> all = get("/ds/data?version=" + v, "Accept", "application/n-quads");
            assertEquals(200, all.statusCode(), all.body());
            assertEquals(dumps.get(v), parseQuads(all.body(), Lang.NQUADS), "seed " + seed + ", version " + v);
            assertEquals(String.valueOf(v), all.headers().firstValue("X-CDC-Version").orElse(null));
            HttpResponse<String> dft = get("/ds/data?default&version=" + v, "Accept", "application/n-triples");
            assertEquals(200, dft.statusCode(), dft.body());
            assertEquals(graph(dumps.get(v), Quad.defaultGraphIRI), parseQuads(dft.body(), Lang.NTRIPLES), "seed " + seed + ", version " + v);
            Node g1 = NodeFactory.createURI("http://example/g1");
            HttpResponse<String> named = get("/ds/data?graph=" + q(g1.getURI()) + "&version=" + v, "Accept", "application/n-triples");
            Set<Quad> expected = graph(dumps.get(v), g1);
            if ( expected.isEmpty() )
                assertEquals(404, named.statusCode(), "seed " + seed + ", version " + v + ": no such graph then");
            else
                assertEquals(expected, parseQuads(named.body(), Lang.NTRIPLES), "seed " + seed + ", version " + v);
        }
    }

    /** The dump's quads of one graph, as default-graph quads (how a parsed graph reads). */
    private static Set<Quad> graph(Set<Quad> dump, Node g) {
        Set<Quad> out = new HashSet<>();
        dump.stream().filter(q -> q.getGraph().equals(g)).forEach(q -> out.add(Quad.create(Quad.defaultGraphIRI, q.asTriple())));
        return out;
    }

    private static Set<Quad> parseQuads(String body, Lang lang) {
        DatasetGraph d = DatasetGraphFactory.create();
        RDFParser.fromString(body, lang).parse(d);
        return RandomVersions.dump(d);
    }

    @Test
    void netChangesEqualTheDifferenceOfDumps() {
        Random rnd = new Random(seed + 4);
        for ( int i = 0 ; i < 20 ; i++ ) {
            int a = rnd.nextInt(dumps.size());
            int b = a + rnd.nextInt(dumps.size() - a);
            HttpResponse<String> r = get("/ds/changes?net=true&after=" + a + "&until=" + b);
            assertEquals(200, r.statusCode(), r.body());
            Set<Quad> added = new HashSet<>();
            Set<Quad> deleted = new HashSet<>();
            new RDFPatchReaderText(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8))).apply(new RDFChangesBase() {
                @Override
                public void add(Node g, Node s, Node p, Node o) {
                    added.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
                }

                @Override
                public void delete(Node g, Node s, Node p, Node o) {
                    deleted.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
                }
            });
            Set<Quad> expectAdded = new HashSet<>(dumps.get(b));
            expectAdded.removeAll(dumps.get(a));
            Set<Quad> expectDeleted = new HashSet<>(dumps.get(a));
            expectDeleted.removeAll(dumps.get(b));
            assertEquals(expectAdded, added, "seed " + seed + ", " + a + ".." + b);
            assertEquals(expectDeleted, deleted, "seed " + seed + ", " + a + ".." + b);
            assertTrue(r.body().contains("H after " + a) || r.body().contains("H after \"" + a + "\""), r.body());
        }
        // until defaults to the head; applying the net change to the dump at 'after' gives the head's.
        HttpResponse<String> toHead = get("/ds/changes?net=true&after=5");
        assertEquals(String.valueOf(dumps.size() - 1), toHead.headers().firstValue("X-CDC-Until").orElseThrow());
        DatasetGraph at5 = RandomVersions.copy(dumps.get(5));
        org.apache.jena.rdfpatch.RDFPatchOps.applyChange(at5, new ByteArrayInputStream(toHead.body().getBytes(StandardCharsets.UTF_8)));
        assertEquals(dumps.getLast(), RandomVersions.dump(at5));
    }

    @Test
    void badRequestsGet400NamingTheFix() {
        String path = "/ds/sparql?query=" + q(EVERYTHING);
        assertBad(get(path + "&version=abc"), "version number");
        assertBad(get(path + "&version=-1"), "version number");
        assertBad(get(path + "&version=" + (dumps.size() + 100)), "newer than the newest version");
        assertBad(get(path + "&version=1", "Accept-Datetime", "Fri, 01 Jan 2100 00:00:00 GMT"), "not both");
        assertBad(get(path, "Accept-Datetime", "yesterday"), "HTTP date");
        assertBad(get("/ds/data?version=x"), "version number");
        assertBad(f.put("/ds/data?default&version=1", "text/turtle", "<http://example/a> <http://example/b> <http://example/c> ."), "for reads");
        assertBad(get("/ds/changes?net=maybe&after=1"), "only the value true");
        assertBad(get("/ds/changes?net=true"), "after=A");
        assertBad(get("/ds/changes?net=true&after=5&until=2"), "newer than until");
        assertBad(get("/ds/changes?net=true&after=1&until=" + (dumps.size() + 5)), "newer than the newest version");
        assertBad(get("/ds/changes?net=true&after=x"), "version number");
    }

    private static void assertBad(HttpResponse<String> r, String text) {
        assertEquals(400, r.statusCode(), r.body());
        assertTrue(r.body().contains(text), "expected '" + text + "' in: " + r.body());
    }

    @Test
    void versionsBeyondRetentionGet410WithTheOldestReachable(@TempDir Path dir) {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", dir).replace("cdc:logDirectory", "cdc:segmentBytes 1024 ; cdc:retainVersions 3 ; cdc:logDirectory");
        try (CdcFuseki small = CdcFuseki.start(dir, config, b -> {})) {
            for ( int i = 0 ; i < 30 ; i++ )
                assertEquals(204, small.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
            long first = small.runtime("ds").log().firstVersion();
            assertTrue(first > 1, "retention removed old segments");
            long oldest = first - 1;
            HttpResponse<String> gone = small.send(HttpRequest.newBuilder(URI.create(small.url("/ds/sparql?query=" + q(EVERYTHING) + "&version=" + (oldest - 1)))));
            assertEquals(410, gone.statusCode(), gone.body());
            assertEquals(String.valueOf(oldest), gone.headers().firstValue("X-CDC-Oldest-Version").orElseThrow());
            assertTrue(gone.body().contains("version=" + oldest), gone.body());
            HttpResponse<String> reachable = small.send(HttpRequest.newBuilder(URI.create(small.url("/ds/sparql?query=" + q("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }")
                                                                                                    + "&version=" + oldest)))
                                                                   .header("Accept", "application/sparql-results+json"));
            assertEquals(200, reachable.statusCode(), reachable.body());
            assertTrue(reachable.body().contains("\"" + oldest + "\""), "version " + oldest + " held " + oldest + " triples: " + reachable.body());
            HttpResponse<String> before = small.send(HttpRequest.newBuilder(URI.create(small.url("/ds/data?version=0"))));
            assertEquals(410, before.statusCode());
            HttpResponse<String> longAgo = small.send(HttpRequest.newBuilder(URI.create(small.url("/ds/sparql?query=" + q(EVERYTHING))))
                                                           .header("Accept-Datetime", "Thu, 01 Jan 2015 00:00:00 GMT"));
            assertEquals(410, longAgo.statusCode(), longAgo.body());
            assertTrue(longAgo.body().contains("Accept-Datetime: "), longAgo.body());
            HttpResponse<String> diff = small.send(HttpRequest.newBuilder(URI.create(small.url("/ds/changes?net=true&after=0"))));
            assertEquals(410, diff.statusCode(), diff.body());
            assertEquals(String.valueOf(oldest), diff.headers().firstValue("X-CDC-Oldest-Version").orElseThrow());
            JsonObject status = null;
            for ( JsonValue d : JSON.parse(small.send(HttpRequest.newBuilder(URI.create(small.url("/$/cdc")))).body()).get("datasets").getAsArray() )
                if ( d.getAsObject().get("name").getAsString().value().equals("ds") )
                    status = d.getAsObject();
            assertEquals(oldest, status.get("oldestReachableVersion").getAsNumber().value().longValue());
        }
    }

    @Test
    void historyCopiesAreKeptAndServeReadsFarBack(@TempDir Path dir) throws Exception {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", dir).replace("cdc:logDirectory", "cdc:historySnapshotEvery 5 ; cdc:historySnapshotsKept 2 ; cdc:logDirectory");
        try (CdcFuseki h = CdcFuseki.start(dir, config, b -> {})) {
            AtomicInteger counter = new AtomicInteger();
            while ( counter.get() < 20 )
                assertEquals(204, h.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + counter.incrementAndGet() + " }").statusCode());
            // Copies are taken in the background, each once 5 versions have been published since the one before:
            // on a loaded machine a copy may start late, so keep writing until two are kept.
            TestSupport.await("two history copies kept, the newest at version 15 or later", Duration.ofSeconds(60), () -> {
                List<Long> kept = h.runtime("ds").historySnapshots().versions();
                if ( kept.size() < 2 && counter.get() < 100 )
                    assertEquals(204, h.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + counter.incrementAndGet() + " }").statusCode());
                return kept.size() == 2 && kept.getLast() >= 15;
            });
            int written = counter.get();
            List<Long> copies = h.runtime("ds").historySnapshots().versions();
            assertEquals(2, copies.size(), "the newest two kept: " + copies);
            JsonObject status = null;
            for ( JsonValue d : JSON.parse(h.send(HttpRequest.newBuilder(URI.create(h.url("/$/cdc")))).body()).get("datasets").getAsArray() )
                status = d.getAsObject();
            assertEquals(copies.size(), status.get("historySnapshots").getAsArray().size());
            // Each version v held v triples, whether read from a copy or from the current state.
            for ( long v : List.of(copies.getFirst() - 1, copies.getFirst(), copies.getLast() - 2, (long)written, 1L) ) {
                HttpResponse<String> r = h.send(HttpRequest.newBuilder(URI.create(h.url("/ds/sparql?version=" + v + "&query=" + q("SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"))))
                                                           .header("Accept", "text/csv"));
                assertEquals(200, r.statusCode(), r.body());
                assertEquals("n\r\n" + v + "\r\n", r.body(), "version " + v + ", copies " + copies);
            }
        }
    }
}
