package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.sparql.util.IsoMatcher;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.testing.TestSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The change log as a Linked Data Event Stream ({@code /ds/ldes}): the stream's description and
 * retention, pages and their caching, formats, errors, access control, and a real LDES client
 * (the npm package {@code ldes-client}, run with the machine's Node.js) that follows the stream
 * and rebuilds the dataset from its members.
 */
class LdesIT {
    private static final String TREE = "https://w3id.org/tree#";
    private static final String LDES = "https://w3id.org/ldes#";
    private static final String CDC = "https://w3id.org/fuseki-cdc#";
    private static final String LDES_CLIENT_VERSION = "0.3.0";
    private static final Path CLIENT_LOG = Path.of("target", "ldes-client.err");
    private static final Path CLIENT_OUT = Path.of("target", "ldes-client.out");

    @TempDir
    Path work;

    private static String config(Path work, String extraOptions) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", extraOptions + "\n    cdc:logDirectory");
    }

    private static void update(CdcFuseki f, String update) {
        HttpResponse<String> r = f.update("ds", update);
        assertEquals(204, r.statusCode(), r.body());
    }

    private static HttpResponse<String> get(CdcFuseki f, String url, String accept, String ifNoneMatch) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.startsWith("http") ? url : f.url(url))).GET();
        if ( accept != null )
            b.header("Accept", accept);
        if ( ifNoneMatch != null )
            b.header("If-None-Match", ifNoneMatch);
        return f.send(b);
    }

    private static Graph parse(HttpResponse<String> r) {
        String ct = r.headers().firstValue("Content-Type").orElseThrow().split(";")[0].trim();
        Graph g = GraphFactory.createDefaultGraph();
        RDFParser.fromString(r.body(), org.apache.jena.riot.RDFLanguages.contentTypeToLang(ct)).base(r.uri().toString()).parse(g);
        return g;
    }

    private static Node iri(String s) {
        return NodeFactory.createURI(s);
    }

    private static List<Node> objects(Graph g, Node s, String p) {
        return g.find(s, iri(p), Node.ANY).mapWith(Triple::getObject).toList();
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse("");
    }

    @Test
    void theStreamItsViewAndPagesAreDescribedCachedAndNegotiated() {
        String options = "cdc:ldesPageSize 3 ; cdc:retainVersions 50 ; cdc:retainAge \"P7D\"^^<http://www.w3.org/2001/XMLSchema#duration> ;";
        try (CdcFuseki f = CdcFuseki.start(work, config(work, options), b -> {})) {
            for ( int i = 1 ; i <= 4 ; i++ )
                update(f, "INSERT DATA { <http://example/s> <http://example/p> " + i + " }");
            String stream = f.url("/ds/ldes");

            HttpResponse<String> root = get(f, "/ds/ldes", null, null);
            assertEquals(200, root.statusCode(), root.body());
            assertEquals("text/turtle", header(root, "Content-Type").split(";")[0]);
            assertEquals("public, max-age=5", header(root, "Cache-Control"));
            assertEquals("Accept", header(root, "Vary"));
            Graph g = parse(root);
            assertTrue(g.contains(iri(stream), iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), iri(LDES + "EventStream")));
            assertEquals(List.of(iri("http://www.w3.org/ns/prov#generatedAtTime")), objects(g, iri(stream), LDES + "timestampPath"));
            assertEquals(List.of(iri("http://purl.org/dc/terms/isVersionOf")), objects(g, iri(stream), LDES + "versionOfPath"));
            Node view = objects(g, iri(stream), TREE + "view").getFirst();
            Node relation = objects(g, view, TREE + "relation").getFirst();
            assertEquals(List.of(iri(stream + "?epoch=0&from=1&to=3")), objects(g, relation, TREE + "node"), "the view starts at the oldest page");
            Node description = objects(g, view, TREE + "viewDescription").getFirst();
            Map<String, Node> policies = new TreeMap<>();
            for ( Node p : objects(g, description, LDES + "retentionPolicy") )
                policies.put(objects(g, p, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type").getFirst().getURI(), p);
            assertEquals(Set.of(LDES + "LatestVersionSubset", LDES + "DurationAgoPolicy"), policies.keySet(), "the log's retention, stated");
            assertEquals("50", objects(g, policies.get(LDES + "LatestVersionSubset"), LDES + "amount").getFirst().getLiteralLexicalForm());
            assertEquals(Duration.ofDays(7), Duration.parse(objects(g, policies.get(LDES + "DurationAgoPolicy"), TREE + "value").getFirst().getLiteralLexicalForm()));
            HttpResponse<String> viewPage = get(f, view.getURI(), null, null);
            assertTrue(parse(viewPage).isIsomorphicWith(g), "the view node is described as the stream is");

            // A page whose versions all exist: immutable, linked to the next one.
            HttpResponse<String> full = get(f, "/ds/ldes?epoch=0&from=1&to=3", null, null);
            assertEquals(200, full.statusCode(), full.body());
            assertEquals("public, max-age=31536000, immutable", header(full, "Cache-Control"));
            String etag = header(full, "ETag");
            assertTrue(etag.matches("\"[0-9a-f]+\""), etag);
            Graph fullGraph = parse(full);
            assertEquals(3, objects(fullGraph, iri(stream), TREE + "member").size());
            Node next = objects(fullGraph, objects(fullGraph, iri(stream + "?epoch=0&from=1&to=3"), TREE + "relation").getFirst(), TREE + "node").getFirst();
            assertEquals(stream + "?epoch=0&from=4&to=6", next.getURI());
            HttpResponse<String> again = get(f, "/ds/ldes?epoch=0&from=1&to=3", null, etag);
            assertEquals(304, again.statusCode());
            assertEquals("", again.body());
            assertEquals(etag, header(again, "ETag"));

            // The newest page: short-cached, no link yet, its ETag changes with a new version.
            HttpResponse<String> newest = get(f, next.getURI(), null, null);
            assertEquals("public, max-age=5", header(newest, "Cache-Control"));
            Graph newestGraph = parse(newest);
            assertEquals(1, objects(newestGraph, iri(stream), TREE + "member").size());
            assertTrue(objects(newestGraph, next, TREE + "relation").isEmpty(), "the newest page links nowhere yet");
            String newestTag = header(newest, "ETag");
            assertEquals(304, get(f, next.getURI(), null, newestTag).statusCode());
            update(f, "DELETE DATA { <http://example/s> <http://example/p> 1 }");
            HttpResponse<String> grown = get(f, next.getURI(), null, newestTag);
            assertEquals(200, grown.statusCode(), "a new version changes the newest page");
            assertNotEquals(newestTag, header(grown, "ETag"));
            assertEquals(2, objects(parse(grown), iri(stream), TREE + "member").size());

            // One member per version, with the version, the time and the changes.
            Graph members = parse(grown);
            Node m5 = members.find(Node.ANY, iri(CDC + "version"), NodeFactory.createLiteralDT("5", org.apache.jena.datatypes.xsd.XSDDatatype.XSDinteger))
                             .next().getSubject();
            assertTrue(m5.getURI().startsWith("urn:uuid:"), m5.getURI());
            assertEquals(1, objects(members, m5, "http://www.w3.org/ns/prov#generatedAtTime").size());
            assertEquals(List.of(iri(f.url("/ds"))), objects(members, m5, "http://purl.org/dc/terms/isVersionOf"));
            Node deleted = objects(members, m5, CDC + "delete").getFirst();
            assertEquals("1", objects(members, deleted, "http://www.w3.org/1999/02/22-rdf-syntax-ns#object").getFirst().getLiteralLexicalForm());
            assertTrue(objects(members, m5, CDC + "add").isEmpty());

            // The same page in each format.
            for ( String accept : List.of("application/n-triples", "application/ld+json") ) {
                HttpResponse<String> r = get(f, "/ds/ldes?epoch=0&from=1&to=3", accept, null);
                assertEquals(accept, header(r, "Content-Type").split(";")[0]);
                assertTrue(parse(r).isIsomorphicWith(fullGraph), accept + " holds the same triples as Turtle");
                assertNotEquals(etag, header(r, "ETag"), "each format has its own ETag");
            }
            HttpResponse<String> head = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/ldes?epoch=0&from=1&to=3"))).method("HEAD", HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, head.statusCode());
            assertEquals(etag, header(head, "ETag"));

            // Errors name the cause and the way on.
            HttpResponse<String> notAcceptable = get(f, "/ds/ldes", "image/png", null);
            assertEquals(406, notAcceptable.statusCode());
            assertTrue(notAcceptable.body().contains("text/turtle"), notAcceptable.body());
            HttpResponse<String> otherHistory = get(f, "/ds/ldes?epoch=3&from=1&to=3", null, null);
            assertEquals(410, otherHistory.statusCode());
            assertTrue(otherHistory.body().contains("history 0"), otherHistory.body());
            assertEquals(404, get(f, "/ds/ldes?epoch=0&from=10&to=12", null, null).statusCode());
            HttpResponse<String> partial = get(f, "/ds/ldes?from=1", null, null);
            assertEquals(400, partial.statusCode());
            assertTrue(partial.body().contains("epoch, from and to"), partial.body());
            assertEquals(400, get(f, "/ds/ldes?epoch=0&from=1&to=5000", null, null).statusCode());
            assertEquals(400, get(f, "/ds/ldes?epoch=0&from=x&to=3", null, null).statusCode());
            assertEquals(405, f.post("/ds/ldes", "text/turtle", "").statusCode());
        }
    }

    @Test
    void eachReaderSeesOnlyTheGraphsItMayReadAndItsPagesArePrivate() {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\nbob: bob-pw\ncarol: carol-pw\n");
        String config = CdcFuseki.exampleConfig("access-control.ttl", work).replace("\"" + work + "/passwd\"", "\"" + passwd + "\"");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            String g = "http://example/graph/";
            for ( String u : List.of("INSERT DATA { <http://example/s0> <http://example/p> \"default\" }",
                                     "INSERT DATA { GRAPH <" + g + "public> { <http://example/s1> <http://example/p> \"public\" } }",
                                     "INSERT DATA { GRAPH <" + g + "alice> { <http://example/s2> <http://example/p> \"alice\" } }",
                                     "INSERT DATA { GRAPH <" + g + "secret> { <http://example/s3> <http://example/p> \"secret\" } }") ) {
                HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds-admin/update"))).header("Authorization", basic("admin"))
                                                           .header("Content-Type", "application/sparql-update").POST(HttpRequest.BodyPublishers.ofString(u)));
                assertEquals(204, r.statusCode(), r.body());
            }
            Map<String, Set<String>> seen = new HashMap<>();
            for ( String user : List.of("alice", "bob") ) {
                HttpResponse<String> page = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/ldes?epoch=0&from=1&to=100")))
                                                              .header("Authorization", basic(user)).header("Accept", "application/n-triples"));
                assertEquals(200, page.statusCode(), page.body());
                assertEquals("private, max-age=5", header(page, "Cache-Control"), "a reader's view is for that reader only");
                Graph graph = parse(page);
                assertEquals(4, objects(graph, iri(f.url("/ds/ldes")), TREE + "member").size(), "every version, filtered to nothing or not");
                Set<String> literals = new TreeSet<>();
                graph.find(Node.ANY, iri("http://www.w3.org/1999/02/22-rdf-syntax-ns#object"), Node.ANY).forEach(t -> literals.add(t.getObject().getLiteralLexicalForm()));
                seen.put(user, literals);
            }
            assertEquals(Set.of("public", "alice"), seen.get("alice"));
            assertEquals(Set.of("default", "public"), seen.get("bob"));
            HttpResponse<String> anonymous = get(f, "/ds/ldes", null, null);
            assertEquals(401, anonymous.statusCode(), "the service's own authentication applies");
        }
    }

    private static String basic(String user) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8));
    }

    // ---- A real LDES client

    @Test
    void anLdesClientFollowsTheStreamFromTheStartAndRebuildsTheDataset() throws Exception {
        Path cli = ldesClient();
        if ( cli == null )
            return;
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:ldesPageSize 3 ; cdc:ldesMaxAgeSeconds 1 ;"), b -> {})) {
            update(f, "PREFIX ex: <http://example/> INSERT DATA { ex:a ex:name \"Ann\"@en ; ex:age 41 ; ex:knows ex:b . ex:b ex:name \"Bob\" }");
            update(f, "PREFIX ex: <http://example/> INSERT DATA { GRAPH ex:g1 { ex:a ex:in ex:g1 ; ex:note \"line one\\nline \\\"two\\\"\" } }");
            update(f, "PREFIX ex: <http://example/> INSERT DATA { ex:c ex:address [ ex:city \"Gent\" ; ex:zip \"9000\" ] }");
            update(f, "PREFIX ex: <http://example/> DELETE DATA { ex:a ex:age 41 } ; INSERT DATA { ex:a ex:age 42 }");
            update(f, "PREFIX ex: <http://example/> DELETE WHERE { GRAPH ex:g1 { ex:a ex:note ?n } }");
            update(f, "PREFIX ex: <http://example/> INSERT DATA { ex:d ex:p 3.5e0 , \"2024-01-01\"^^<http://www.w3.org/2001/XMLSchema#date> }");
            update(f, "PREFIX ex: <http://example/> DELETE WHERE { ex:b ?p ?o }");

            Files.createDirectories(CLIENT_LOG.getParent());
            ProcessBuilder pb = new ProcessBuilder(node().toString(), cli.toString(), f.url("/ds/ldes"), "--follow", "--poll-interval", "500")
                .redirectError(CLIENT_LOG.toFile());
            Process client = pb.start();
            ClientOutput out = new ClientOutput(client);
            try {
                awaitRebuilt(f, out, 7);
                // Polling: new versions, one of them filling the newest page and one on a page that did not exist when the client started.
                update(f, "PREFIX ex: <http://example/> INSERT DATA { ex:e ex:p \"new\" }");
                update(f, "PREFIX ex: <http://example/> DELETE WHERE { ex:c ex:address ?x . ?x ?p ?o } ; INSERT DATA { ex:c ex:moved true }");
                update(f, "PREFIX ex: <http://example/> DELETE DATA { GRAPH ex:g1 { ex:a ex:in ex:g1 } } ; INSERT DATA { GRAPH ex:g2 { ex:a ex:in ex:g2 } }");
                update(f, "PREFIX ex: <http://example/> DELETE WHERE { ex:d ?p ?o }");
                awaitRebuilt(f, out, 11);
                // The same pages in every format: escapes, language tags, datatypes, named graphs and skolem IRIs included.
                for ( long from = 1 ; from <= 10 ; from += 3 ) {
                    String page = "/ds/ldes?epoch=0&from=" + from + "&to=" + (from + 2);
                    Graph turtle = parse(get(f, page, "text/turtle", null));
                    for ( String accept : List.of("application/n-triples", "application/ld+json") )
                        assertTrue(parse(get(f, page, accept, null)).isIsomorphicWith(turtle), page + " as " + accept + " holds what Turtle holds");
                }
            } finally {
                client.destroy();
                if ( !client.waitFor(10, TimeUnit.SECONDS) )
                    client.destroyForcibly();
            }
        }
    }

    /** Wait until the client has given every version up to {@code head}, then check that its members rebuild the dataset. */
    private void awaitRebuilt(CdcFuseki f, ClientOutput out, long head) throws Exception {
        TestSupport.await("ldes-client to give versions 1 to " + head + " (client's stderr in " + CLIENT_LOG.toAbsolutePath() + ")",
                          Duration.ofSeconds(90), () -> out.versions().containsAll(range(head)));
        assertEquals(range(head), out.versions(), "every version, none other");
        System.out.println("LdesIT: ldes-client gave versions 1 to " + head + ", " + out.repeats() + " of its members repeated (identical)");
        DatasetGraph rebuilt = out.rebuild(head);
        DatasetGraph server = f.dataset("ds");
        DatasetGraph copy = DatasetGraphFactory.createTxnMem();
        Txn.executeRead(server, () -> server.find().forEachRemaining(copy::add));
        assertTrue(IsoMatcher.isomorphic(copy, rebuilt), () -> "The members rebuild the dataset at version " + head + ":\nrebuilt:\n" + dump(rebuilt)
                                                              + "\nserver:\n" + dump(copy));
    }

    private static String dump(DatasetGraph dsg) {
        StringBuilder sb = new StringBuilder();
        dsg.find().forEachRemaining(q -> sb.append(q).append('\n'));
        return sb.toString();
    }

    private static List<Long> range(long head) {
        List<Long> out = new ArrayList<>();
        for ( long v = 1 ; v <= head ; v++ )
            out.add(v);
        return out;
    }

    /** The members the client prints: one block of lines per member (triples, Turtle terms), separated by a blank line. */
    private static final class ClientOutput {
        private final Map<Long, Graph> members = new TreeMap<>();
        private int repeats;
        private final List<String> problems = new ArrayList<>();

        ClientOutput(Process p) {
            Thread.ofPlatform().daemon().name("ldes-client-output").start(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                     java.io.Writer copy = Files.newBufferedWriter(CLIENT_OUT)) {
                    StringBuilder block = new StringBuilder();
                    String line;
                    while ( (line = r.readLine()) != null ) {
                        copy.write(line + "\n");
                        copy.flush();
                        if ( line.startsWith("<") || line.startsWith("_:") ) {
                            block.append(line).append('\n');
                            continue;
                        }
                        if ( !block.isEmpty() )
                            add(block.toString());
                        block.setLength(0);
                    }
                    if ( !block.isEmpty() )
                        add(block.toString());
                } catch (IOException ex) {
                    // The client was stopped.
                }
            });
        }

        private synchronized void add(String nquads) {
            try {
                addMember(nquads);
            } catch (RuntimeException | AssertionError ex) {
                problems.add(ex.getMessage());
            }
        }

        private void addMember(String nquads) {
            DatasetGraph d = DatasetGraphFactory.create();
            RDFParser.fromString(nquads, Lang.TURTLE).parse(d);
            Graph g = GraphFactory.createDefaultGraph();
            d.find().forEachRemaining(q -> g.add(q.asTriple()));
            List<Triple> v = g.find(Node.ANY, iri(CDC + "version"), Node.ANY).toList();
            assertEquals(1, v.size(), () -> "one member per block: " + nquads);
            long version = Long.parseLong(v.getFirst().getObject().getLiteralLexicalForm());
            // ldes-client 0.3.0 may emit a member twice when it extracts a page it is polling again before it has recorded the
            // member as emitted; a consumer drops the repeat by the member's IRI. A repeat must be the same member, whole.
            Graph before = members.putIfAbsent(version, g);
            if ( before != null ) {
                repeats++;
                if ( !before.isIsomorphicWith(g) )
                    problems.add("version " + version + " given twice with different content:\n" + before + "\n" + g);
            }
        }

        synchronized int repeats() {
            return repeats;
        }

        synchronized List<Long> versions() {
            assertEquals(List.of(), problems, "members the test could not read");
            return new ArrayList<>(members.keySet());
        }

        /** Apply the members of versions 1 to {@code head} in order to an empty dataset. */
        synchronized DatasetGraph rebuild(long head) {
            DatasetGraph out = DatasetGraphFactory.createTxnMem();
            Map<String, Node> blankNodes = new HashMap<>();
            for ( long v = 1 ; v <= head ; v++ ) {
                Graph m = members.get(v);
                Node member = m.find(Node.ANY, iri(CDC + "version"), Node.ANY).next().getSubject();
                for ( Node c : objects(m, member, CDC + "delete") )
                    out.delete(quad(m, c, blankNodes));
                for ( Node c : objects(m, member, CDC + "add") )
                    out.add(quad(m, c, blankNodes));
            }
            return out;
        }

        private static Quad quad(Graph m, Node change, Map<String, Node> blankNodes) {
            List<Node> g = objects(m, change, CDC + "graph");
            return Quad.create(g.isEmpty() ? Quad.defaultGraphIRI : term(g.getFirst(), blankNodes),
                               term(objects(m, change, "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject").getFirst(), blankNodes),
                               objects(m, change, "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate").getFirst(),
                               term(objects(m, change, "http://www.w3.org/1999/02/22-rdf-syntax-ns#object").getFirst(), blankNodes));
        }

        /** A skolem IRI of the stream back to a blank node, the same one for the same IRI. */
        private static Node term(Node n, Map<String, Node> blankNodes) {
            if ( n.isURI() && n.getURI().contains("/.well-known/genid/") )
                return blankNodes.computeIfAbsent(n.getURI(), k -> NodeFactory.createBlankNode());
            return n;
        }
    }

    private static Path node() {
        return TestSupport.serverBinary("node", "/usr/local/bin", "LdesIT (the ldes-client LDES client)");
    }

    /**
     * The {@code ldes-client} command line, installed from the npm registry into
     * {@code ~/.cache/fuseki-cdc/ldes-client-<version>} the first time; null (test skipped loudly)
     * when Node.js or npm is missing, a failure under {@code CI=true}.
     */
    private static Path ldesClient() throws IOException, InterruptedException {
        if ( node() == null )
            return null;
        Path npm = TestSupport.serverBinary("npm", "/usr/local/bin", "LdesIT (to install the ldes-client LDES client)");
        if ( npm == null )
            return null;
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "fuseki-cdc", "ldes-client-" + LDES_CLIENT_VERSION);
        Path cli = dir.resolve("node_modules/ldes-client/dist/bin/cli.js");
        if ( Files.isRegularFile(cli) )
            return cli;
        Files.createDirectories(dir);
        Path log = dir.resolve("npm-install.log");
        Process install = new ProcessBuilder(npm.toString(), "install", "--no-audit", "--no-fund", "--prefix", dir.toString(), "ldes-client@" + LDES_CLIENT_VERSION)
            .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if ( !install.waitFor(10, TimeUnit.MINUTES) ) {
            install.destroyForcibly();
            TestSupport.skipOrFail("npm install ldes-client@" + LDES_CLIENT_VERSION + " took more than 10 minutes; see " + log);
            return null;
        }
        if ( install.exitValue() != 0 || !Files.isRegularFile(cli) ) {
            TestSupport.skipOrFail("npm install ldes-client@" + LDES_CLIENT_VERSION + " failed (exit " + install.exitValue() + "): " + Files.readString(log));
            return null;
        }
        return cli;
    }

    @Test
    void theViewStartsAtTheOldestPageRetentionKeepsAndRemovedPagesAreGone() {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:segmentBytes 1024 ; cdc:retainVersions 2 ; cdc:ldesPageSize 3 ;"), b -> {})) {
            for ( int i = 1 ; i <= 40 ; i++ )
                update(f, "INSERT DATA { <http://example/s> <http://example/p> " + i + " }");
            long oldest = f.dataset("ds").changeLog().firstVersion();
            assertTrue(oldest > 3, "retention removed the first page's versions: oldest " + oldest);
            Graph g = parse(get(f, "/ds/ldes", null, null));
            Node view = objects(g, iri(f.url("/ds/ldes")), TREE + "view").getFirst();
            Node first = objects(g, objects(g, view, TREE + "relation").getFirst(), TREE + "node").getFirst();
            long from = (oldest - 1) / 3 * 3 + 1;
            assertEquals(f.url("/ds/ldes?epoch=0&from=" + from + "&to=" + (from + 2)), first.getURI(), "the page of the oldest version kept");
            HttpResponse<String> gone = get(f, "/ds/ldes?epoch=0&from=1&to=3", null, null);
            assertEquals(410, gone.statusCode());
            assertTrue(gone.body().contains("oldest version kept is " + oldest), gone.body());
            Graph page = parse(get(f, first.getURI(), null, null));
            List<Long> versions = page.find(Node.ANY, iri(CDC + "version"), Node.ANY).mapWith(t -> Long.parseLong(t.getObject().getLiteralLexicalForm()))
                                      .toList().stream().sorted().toList();
            assertEquals(oldest, versions.getFirst(), "the versions of the page still kept: " + versions);
            assertEquals(from + 2, versions.getLast());
        }
    }

    @Test
    void aPageWhoseClientStopsReadingIsCutAndHoldsNoThread() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:slowReaderSeconds 1 ;"), b -> {})) {
            // Ten megabytes in one version: more than a connection and the kernel's buffers hold for a client that does not read.
            StringBuilder big = new StringBuilder("INSERT DATA {");
            for ( int i = 0 ; i < 5_000 ; i++ )
                big.append(" <http://example/big> <http://example/p> \"").append("x".repeat(2000)).append(i).append("\" .");
            update(f, big.append(" }").toString());
            try (java.net.Socket stalled = new java.net.Socket()) {
                stalled.setReceiveBufferSize(16 * 1024);
                stalled.connect(new java.net.InetSocketAddress("localhost", f.server().getHttpPort()));
                stalled.getOutputStream().write("GET /ds/ldes?epoch=0&from=1&to=100 HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertTrue(stalled.getInputStream().read() > 0, "the page started");
                var responses = f.runtime("ds").responseStreams();
                assertEquals(200, get(f, "/ds/ldes", null, null).statusCode(), "other requests are served meanwhile");
                TestSupport.await("the stalled page to be cut", Duration.ofSeconds(60), () -> responses.droppedCount() == 1 && responses.openCount() == 0);
                stalled.setSoTimeout(10_000);
                java.io.InputStream in = stalled.getInputStream();
                long read = 0;
                for ( int n ; (n = in.read(new byte[8192])) >= 0 ; )
                    read += n;
                assertTrue(read < 10_000_000, "the connection was cut, not the page completed: " + read + " bytes");
            }
        }
    }

    @Test
    void aListedOriginGetsCorsHeadersOthersNone() {
        try (CdcFuseki f = CdcFuseki.start(work, config(work, "cdc:allowedOrigins \"https://app.example\" ;"), b -> {})) {
            HttpResponse<String> listed = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/ldes"))).header("Origin", "https://app.example"));
            assertEquals(200, listed.statusCode());
            assertEquals("https://app.example", header(listed, "Access-Control-Allow-Origin"));
            HttpResponse<String> other = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/ldes"))).header("Origin", "https://other.example"));
            assertEquals("", header(other, "Access-Control-Allow-Origin"), "cdc:allowedOrigins decides, not Fuseki's filter");
        }
    }

    @Test
    void aStreamWithoutVersionsHasAnEmptyNewestPage() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            HttpResponse<String> root = get(f, "/ds/ldes", "application/ld+json", null);
            assertEquals(200, root.statusCode(), root.body());
            Graph g = parse(root);
            Node view = objects(g, iri(f.url("/ds/ldes")), TREE + "view").getFirst();
            Node first = objects(g, objects(g, view, TREE + "relation").getFirst(), TREE + "node").getFirst();
            assertEquals(f.url("/ds/ldes?epoch=0&from=1&to=100"), first.getURI(), "default page size 100");
            HttpResponse<String> page = get(f, first.getURI(), null, null);
            assertEquals(200, page.statusCode());
            assertFalse(header(page, "Cache-Control").contains("immutable"));
            assertTrue(objects(parse(page), iri(f.url("/ds/ldes")), TREE + "member").isEmpty());
        }
    }
}
