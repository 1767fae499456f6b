package org.fusekicdc.fuseki;

import static org.fusekicdc.core.testing.W3CSuite.MF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.IsoMatcher;
import org.apache.jena.system.Txn;
import org.apache.jena.update.UpdateAction;
import org.apache.jena.update.UpdateFactory;
import org.apache.jena.update.UpdateRequest;
import org.apache.jena.vocabulary.RDF;
import org.apache.jena.vocabulary.RDFS;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.testing.W3CSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The W3C SPARQL 1.1 Update evaluation tests as a round trip through capture: for each test the
 * pre-state is loaded into the captured quick-start dataset, the update is sent over HTTP, and
 * the patches it produced, replayed onto a copy of the pre-state (every change checked to be
 * real), must give the expected post-state and the live dataset's state.
 * <p>
 * The suite is read in place from {@code w3c-rdf-tests} (system property
 * {@code fusekicdc.w3cTests}, else {@code shared/w3c-rdf-tests} in a directory above the working
 * directory). Without it the run is aborted, or fails under {@code CI=true}.
 */
class W3CUpdateRoundTripIT {
    static final String UT = "http://www.w3.org/2009/sparql/tests/test-update#";

    static final List<String> DIRS = List.of("add", "basic-update", "clear", "copy", "delete", "delete-data", "delete-insert",
                                             "delete-where", "drop", "move", "update-silent");

    /** Tests not run, by manifest IRI, with the reason. None: every test passes on plain Jena and through capture. */
    static final Map<String, String> EXCLUDED = Map.of();

    @TempDir
    static Path work;
    static CdcFuseki fuseki;
    static CapturingDatasetGraph dsg;
    static ChangeLog log;

    static final AtomicInteger run = new AtomicInteger();
    static final AtomicInteger passed = new AtomicInteger();
    static final List<String> failures = new ArrayList<>();
    static long startNanos;

    @BeforeAll
    static void start() {
        startNanos = System.nanoTime();
        fuseki = CdcFuseki.startQuickstart(work);
        dsg = fuseki.dataset("ds");
        log = dsg.changeLog();
    }

    @AfterAll
    static void stop() {
        if ( fuseki != null )
            fuseki.close();
        if ( run.get() == 0 )
            return;
        StringBuilder sb = new StringBuilder();
        sb.append("W3C SPARQL 1.1 Update round trip: ").append(passed.get()).append('/').append(run.get()).append(" passed");
        if ( !EXCLUDED.isEmpty() )
            sb.append(", ").append(EXCLUDED.size()).append(" excluded");
        sb.append(String.format(" (%.1f s)", (System.nanoTime() - startNanos) / 1e9));
        synchronized (failures) {
            failures.forEach(f -> sb.append("\n  FAILED ").append(f));
        }
        System.out.println(sb);
    }

    // ---- The manifests

    record W3CTest(String dir, String iri, String name, URI request, DatasetGraph pre, DatasetGraph post) {
        String label() {
            return dir + "/" + name;
        }
    }

    @TestFactory
    Stream<DynamicNode> w3cUpdateEvaluationTests() {
        Path sparql11 = W3CSuite.sparql11("W3C SPARQL Update round trip");
        List<DynamicNode> containers = new ArrayList<>();
        for ( String dir : DIRS ) {
            Path manifest = sparql11.resolve(dir).resolve("manifest.ttl");
            assertTrue(Files.isRegularFile(manifest), () -> "missing manifest " + manifest);
            List<DynamicTest> tests = new ArrayList<>();
            for ( W3CTest t : readManifest(dir, manifest) ) {
                if ( EXCLUDED.containsKey(t.iri()) )
                    continue;
                tests.add(DynamicTest.dynamicTest(t.name(), URI.create(t.iri()), () -> runCounted(t)));
            }
            containers.add(DynamicContainer.dynamicContainer(dir, manifest.toUri(), tests.stream()));
        }
        return containers.stream();
    }

    static List<W3CTest> readManifest(String dir, Path manifestFile) {
        List<Resource> entries = W3CSuite.entries(manifestFile);
        if ( entries.isEmpty() )
            return List.of();
        Model m = entries.get(0).getModel();
        Property name = m.createProperty(MF, "name");
        Property action = m.createProperty(MF, "action");
        Property result = m.createProperty(MF, "result");
        Property request = m.createProperty(UT, "request");
        Resource updateEvaluationTest = m.createResource(MF + "UpdateEvaluationTest");

        List<W3CTest> out = new ArrayList<>();
        for ( Resource test : entries ) {
            if ( !test.hasProperty(RDF.type, updateEvaluationTest) )
                continue;
            Resource act = test.getRequiredProperty(action).getResource();
            Resource res = test.getRequiredProperty(result).getResource();
            URI req = URI.create(act.getRequiredProperty(request).getResource().getURI());
            out.add(new W3CTest(dir, test.getURI(), test.getRequiredProperty(name).getString(), req, dataset(act), dataset(res)));
        }
        return out;
    }

    /** The dataset described by an action or result: ut:data into the default graph, ut:graphData into named graphs. */
    static DatasetGraph dataset(Resource r) {
        Model m = r.getModel();
        Property data = m.createProperty(UT, "data");
        Property graphData = m.createProperty(UT, "graphData");
        Property graph = m.createProperty(UT, "graph");
        DatasetGraph dsg = DatasetGraphFactory.createTxnMem();
        Txn.executeWrite(dsg, () -> {
            for ( Statement s : r.listProperties(data).toList() )
                load(dsg, Quad.defaultGraphIRI, s.getResource().getURI());
            for ( Statement s : r.listProperties(graphData).toList() ) {
                Resource gd = s.getResource();
                Node gn = NodeFactory.createURI(gd.getRequiredProperty(RDFS.label).getString());
                load(dsg, gn, gd.getRequiredProperty(graph).getResource().getURI());
            }
        });
        return dsg;
    }

    /** Parse a file on its own (its blank nodes are its own) into graph {@code gn}. */
    static void load(DatasetGraph dsg, Node gn, String fileUri) {
        Graph g = RDFDataMgr.loadGraph(fileUri);
        g.find().forEachRemaining(t -> dsg.add(gn, t.getSubject(), t.getPredicate(), t.getObject()));
    }

    // ---- One test

    static void runCounted(W3CTest t) {
        run.incrementAndGet();
        try {
            runTest(t);
            passed.incrementAndGet();
        } catch (Throwable ex) {
            String jena = plainJenaPasses(t) ? "plain Jena in-memory passes" : "plain Jena in-memory FAILS too";
            synchronized (failures) {
                failures.add(t.label() + " <" + t.iri() + "> (" + jena + "): " + firstLine(ex));
            }
            throw ex;
        }
    }

    static void runTest(W3CTest t) {
        // Empty the dataset (captured like any write), then load the pre-state in one transaction.
        Txn.executeWrite(dsg, () -> dsg.clear());
        Txn.executeRead(dsg, () -> assertTrue(dsg.isEmpty(), "dataset not empty after clear"));
        Txn.executeWrite(dsg, () -> Txn.executeRead(t.pre(), () -> t.pre().find().forEachRemaining(dsg::add)));
        long before = log.publishedVersion();
        DatasetGraph replay = copy(dsg);
        Set<Quad> preQuads = quads(dsg);
        LogReplay.assertSameDataset(t.pre(), replay, "pre-state as loaded");

        // The update over HTTP, with the base the W3C runner uses: the update file's URL.
        HttpResponse<String> r = fuseki.update("ds", requestText(t.request()));
        assertTrue(r.statusCode() / 100 == 2, () -> "HTTP " + r.statusCode() + ": " + r.body());

        // One request is one transaction: one patch if it changed anything, none otherwise.
        List<LogRecord> records = log.readAfter(before, Integer.MAX_VALUE);
        boolean changed = !quads(dsg).equals(preQuads);
        assertEquals(changed ? 1 : 0, records.size(), "patches added by the update (data " + (changed ? "changed" : "unchanged") + ")");
        for ( LogRecord rec : records )
            LogReplay.applyChecked(replay, rec);

        LogReplay.assertSameDataset(t.post(), replay, "expected post-state vs. replay of the captured patches");
        LogReplay.assertSameDataset(dsg, replay, "live dataset vs. replay of the captured patches");
    }

    /**
     * The update text prefixed with {@code BASE <file-url>}, so relative IRIs resolve as when Jena
     * reads the file ({@code UpdateFactory.read(file)}); a BASE in the file itself still wins.
     */
    static String requestText(URI file) {
        try {
            String text = Files.readString(Path.of(file), StandardCharsets.UTF_8);
            return "BASE <" + file + ">\n" + text;
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Whether Jena alone, on an in-memory dataset, passes the test (to tell capture bugs from Jena's). */
    static boolean plainJenaPasses(W3CTest t) {
        try {
            DatasetGraph mem = copy(t.pre());
            UpdateRequest req = UpdateFactory.read(t.request().toString());
            Txn.executeWrite(mem, () -> UpdateAction.execute(req, mem));
            return Txn.calculateRead(mem, () -> Txn.calculateRead(t.post(), () -> IsoMatcher.isomorphic(t.post(), mem)));
        } catch (RuntimeException ex) {
            return false;
        }
    }

    static DatasetGraph copy(DatasetGraph src) {
        DatasetGraph out = DatasetGraphFactory.createTxnMem();
        Txn.executeRead(src, () -> Txn.executeWrite(out, () -> src.find().forEachRemaining(out::add)));
        return out;
    }

    static Set<Quad> quads(DatasetGraph src) {
        return Txn.calculateRead(src, () -> {
            Set<Quad> s = new HashSet<>();
            src.find().forEachRemaining(s::add);
            return s;
        });
    }

    static String firstLine(Throwable ex) {
        String msg = String.valueOf(ex.getMessage());
        int nl = msg.indexOf('\n');
        return ex.getClass().getSimpleName() + ": " + (nl < 0 ? msg : msg.substring(0, nl));
    }
}
