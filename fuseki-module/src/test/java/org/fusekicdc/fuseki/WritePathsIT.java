package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.changes.PatchSummary;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.wire.PatchHeaders;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way a client can write to a Fuseki dataset, over HTTP against the quick-start
 * configuration (TDB2): each write that changes data adds exactly one patch, a write that
 * changes nothing adds none, and replaying the log reproduces the dataset.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class WritePathsIT {
    @TempDir
    static Path work;
    static CdcFuseki fuseki;
    static CapturingDatasetGraph dsg;
    static ChangeLog log;

    @BeforeAll
    static void start() {
        fuseki = CdcFuseki.startQuickstart(work);
        dsg = fuseki.dataset("ds");
        log = dsg.changeLog();
    }

    @AfterAll
    static void stop() {
        fuseki.close();
    }

    @BeforeEach
    void seed() {
        // Each test starts from the same data, itself written through capture.
        fuseki.update("ds", "DROP ALL");
        assertOk(fuseki.update("ds", """
            PREFIX : <http://example/>
            INSERT DATA { :s :p 1 , 2 . GRAPH :g1 { :s :p 1 , 2 } GRAPH :g2 { :t :q "x" } }"""));
    }

    private static void assertOk(HttpResponse<String> r) {
        assertTrue(r.statusCode() / 100 == 2, () -> "HTTP " + r.statusCode() + ": " + r.body());
    }

    /** Run a write, expect it to add exactly {@code patches} patches, and check the log against the data. */
    private static RDFPatch expect(int patches, Runnable write) {
        long before = log.publishedVersion();
        write.run();
        assertEquals(before + patches, log.publishedVersion(), "patches added by the write");
        LogReplay.assertLogReproduces(log, dsg);
        return patches == 0 ? null : LogReplay.patch(log.read(log.publishedVersion()));
    }

    private static PatchSummary summary(RDFPatch p) {
        return RDFPatchOps.summary(p);
    }

    private static Runnable update(String u) {
        return () -> assertOk(fuseki.update("ds", "PREFIX : <http://example/>\n" + u));
    }

    @Test
    void sparqlUpdateDataForms() {
        assertEquals(1, summary(expect(1, update("INSERT DATA { :s :p 3 }"))).getCountAddData());
        assertEquals(1, summary(expect(1, update("DELETE DATA { :s :p 3 }"))).getCountDeleteData());
        expect(0, update("INSERT DATA { :s :p 1 }"));               // already there
        expect(0, update("DELETE DATA { :s :p 99 }"));              // not there
        expect(0, update("INSERT DATA { :s :p 5 } ; DELETE DATA { :s :p 5 }"));  // cancels out
        RDFPatch p = expect(1, update("DELETE { ?s :p 1 } INSERT { ?s :p 10 } WHERE { ?s :p 1 }"));
        assertEquals(1, summary(p).getCountAddData());
        assertEquals(1, summary(p).getCountDeleteData());
        expect(1, update("DELETE WHERE { GRAPH :g1 { :s :p ?o } }"));
        expect(1, update("WITH :g2 INSERT { :t :q 'y' } WHERE { :t :q 'x' }"));
    }

    @Test
    void sparqlUpdateGraphManagementForms() {
        expect(1, update("COPY :g1 TO :g3"));
        expect(0, update("COPY :g1 TO :g3"));                       // same content again
        expect(1, update("ADD DEFAULT TO :g2"));
        expect(1, update("MOVE :g3 TO :g4"));
        expect(0, update("CREATE SILENT GRAPH :g5"));               // no quads, nothing to log
        expect(1, update("CLEAR GRAPH :g4"));
        expect(0, update("CLEAR SILENT GRAPH :nosuch"));
        expect(0, update("DROP SILENT GRAPH :nosuch"));
        expect(1, update("DROP GRAPH :g2"));
        expect(1, update("CLEAR DEFAULT"));
        expect(1, update("DROP NAMED"));
        expect(0, update("CLEAR ALL"));
    }

    @Test
    void sparqlUpdateClearAllAndDropAll() {
        expect(1, update("CLEAR ALL"));
        Txn.executeRead(dsg, () -> assertTrue(dsg.isEmpty()));
        expect(0, update("DROP ALL"));
    }

    @Test
    void sparqlUpdateLoadFromAFile() throws Exception {
        Path data = work.resolve("load.ttl");
        Files.writeString(data, "<http://example/l> <http://example/p> 'loaded' .\n");
        expect(1, update("LOAD <" + data.toUri() + "> INTO GRAPH :loaded"));
        expect(0, update("LOAD SILENT <" + data.toUri() + "> INTO GRAPH :loaded"));
        expect(0, update("LOAD SILENT <file:///no/such/file.ttl>"));
    }

    @Test
    void graphStoreProtocolOnNamedAndDefaultGraphs() {
        String ttl = "PREFIX : <http://example/>\n:a :b :c , :d .\n";
        expect(1, () -> assertOk(fuseki.put("/ds?graph=http://example/gsp", "text/turtle", ttl)));
        expect(0, () -> assertOk(fuseki.put("/ds?graph=http://example/gsp", "text/turtle", ttl)));      // replace with the same
        expect(1, () -> assertOk(fuseki.post("/ds?graph=http://example/gsp", "text/turtle", "<http://example/a> <http://example/b> <http://example/e> .")));
        expect(1, () -> assertOk(fuseki.delete("/ds?graph=http://example/gsp")));
        expect(1, () -> assertOk(fuseki.put("/ds/data?default", "text/turtle", ttl)));
        expect(1, () -> assertOk(fuseki.post("/ds/data?default", "application/n-triples", "<http://example/x> <http://example/y> \"z\" .\n")));
        expect(1, () -> assertOk(fuseki.delete("/ds/data?default")));
    }

    @Test
    void graphStoreProtocolOnTheWholeDataset() {
        String trig = "PREFIX : <http://example/>\n:a :b :c . GRAPH :gq { :a :b :d }\n";
        expect(1, () -> assertOk(fuseki.put("/ds", "application/trig", trig)));
        expect(0, () -> assertOk(fuseki.put("/ds", "application/trig", trig)));
        expect(1, () -> assertOk(fuseki.post("/ds/data", "application/n-quads", "<http://example/a> <http://example/b> <http://example/e> <http://example/gq> .\n")));
    }

    @Test
    void prefixesInUploadedDataAreCaptured() {
        RDFPatch p = expect(1, () -> assertOk(fuseki.post("/ds?graph=http://example/pfx", "text/turtle",
                                                          "PREFIX ex: <http://example/ns#>\nex:a ex:b ex:c .\n")));
        // Whether an upload keeps its prefixes is the store's choice; whatever it did must be in the patch.
        String mapped = Txn.calculateRead(dsg, () -> dsg.prefixes().get("ex"));
        assertEquals(mapped == null ? 0 : 1, summary(p).getCountAddPrefix());
    }

    @Test
    void fileUploadOperation() {
        String boundary = "----cdc-boundary";
        String body = "--" + boundary + "\r\n"
                      + "Content-Disposition: form-data; name=\"file\"; filename=\"data.ttl\"\r\n"
                      + "Content-Type: text/turtle\r\n\r\n"
                      + "<http://example/u> <http://example/p> \"uploaded\" .\n\r\n"
                      + "--" + boundary + "--\r\n";
        expect(1, () -> assertOk(fuseki.post("/ds/upload", "multipart/form-data; boundary=" + boundary, body)));
    }

    @Test
    void patchOperation() {
        String patch = """
            TX .
            PA "ex" "http://example/" .
            A <http://example/p1> <http://example/p> "patched" .
            D <http://example/s> <http://example/p> 1 .
            A <http://example/s> <http://example/p> 2 .
            TC .
            """;
        RDFPatch p = expect(1, () -> assertOk(fuseki.post("/ds/patch", "application/rdf-patch", patch)));
        assertEquals(1, summary(p).getCountAddData(), "the add of an existing quad is not recorded");
        assertEquals(1, summary(p).getCountDeleteData());
        assertEquals(1, summary(p).getCountAddPrefix());
    }

    @Test
    void javaApiWrites() {
        expect(1, () -> Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(<http://example/j> <http://example/s> <http://example/p> 'api')"))));
        expect(0, () -> Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(<http://example/j> <http://example/s> <http://example/p> 'api')"))));
        expect(1, () -> Txn.executeWrite(dsg, () -> dsg.getGraph(SSE.parseNode("<http://example/j>")).clear()));
    }

    @Test
    void patchesNameTheRequestAndCarryARequestIdTheClientCanSet() {
        HttpResponse<String> r = fuseki.send(HttpRequest.newBuilder(URI.create(fuseki.url("/ds/update")))
                                                        .header("Content-Type", "application/sparql-update")
                                                        .header("X-Request-ID", "client-req-7")
                                                        .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/r> <http://example/p> 7 }",
                                                                                                  StandardCharsets.UTF_8)));
        assertOk(r);
        assertEquals("client-req-7", r.headers().firstValue("X-Request-ID").orElse(null));
        RDFPatch p = LogReplay.patch(log.read(log.publishedVersion()));
        assertEquals("client-req-7", p.getHeader(PatchHeaders.REQUEST_ID).getLiteralLexicalForm());
        assertEquals("ds", p.getHeader(PatchHeaders.DATASET).getLiteralLexicalForm());
    }

    @Test
    void aFailedUpdateLogsNothing() {
        expect(0, () -> assertEquals(400, fuseki.update("ds", "INSERT DATA { <not closed").statusCode()));
        expect(0, () -> assertEquals(400, fuseki.put("/ds?graph=http://example/bad", "text/turtle", "<http://example/a> <http://example/b> .").statusCode()));
    }
}
