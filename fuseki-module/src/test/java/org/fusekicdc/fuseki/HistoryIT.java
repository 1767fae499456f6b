package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.fuseki.auth.Auth;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.history.HistoryIndex;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resource history, commit messages on every kind of write, and revert, through a running server. */
class HistoryIT {
    private static final String S = "http://example/book1";
    private static final String MSG = "X-CDC-Commit-Message";

    @TempDir
    Path work;

    private static HttpResponse<String> write(CdcFuseki f, String path, String method, String contentType, String body, String message, String requestId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(f.url(path))).header("Content-Type", contentType)
                                           .method(method, HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                                           .header("X-Request-ID", requestId);
        if ( message != null )
            b.header(MSG, message);
        return f.send(b);
    }

    private static JsonObject history(CdcFuseki f, String query) {
        HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/history?" + query))));
        assertEquals(200, r.statusCode(), r.body());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse("").replaceAll(";.*", ""));
        return JSON.parse(r.body());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static long num(JsonObject o, String key) {
        return o.get(key).getAsNumber().value().longValue();
    }

    private static String str(JsonObject o, String key) {
        return o.hasKey(key) ? o.get(key).getAsString().value() : null;
    }

    private static HttpResponse<String> post(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))).POST(HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void historyListsTheVersionsThatChangedASubjectWithWhoWhenAndWhyNewestFirst() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            assertEquals(204, write(f, "/ds/update", "POST", "application/sparql-update",
                                    "INSERT DATA { <" + S + "> <http://example/title> \"One\" . <http://example/other> <http://example/p> 1 }",
                                    "first import", "req-1").statusCode());
            assertTrue(write(f, "/ds/data?graph=" + enc("http://example/g"), "PUT", "text/turtle",
                             "<" + S + "> <http://example/author> \"Ann\" .", "author, in %C3%A9t%C3%A9", "req-2").statusCode() / 100 == 2);
            assertEquals(200, write(f, "/ds/patch", "POST", "application/rdf-patch",
                                    "TX .\nD <" + S + "> <http://example/title> \"One\" .\nA <" + S + "> <http://example/title> \"Two\" .\nTC .\n",
                                    "fix the title", "req-3").statusCode() / 100 * 100);
            assertEquals(204, write(f, "/ds/update", "POST", "application/sparql-update",
                                    "INSERT DATA { <http://example/other> <http://example/p> 2 }", null, "req-4").statusCode());

            JsonObject h = history(f, "subject=" + enc(S));
            assertEquals(4, num(h, "headVersion"));
            assertEquals(1, num(h, "oldestVersion"));
            JsonArray versions = h.get("versions").getAsArray();
            assertEquals(List.of(3L, 2L, 1L), versions.stream().map(v -> num(v.getAsObject(), "version")).toList(), h.toString());
            JsonObject v3 = versions.get(0).getAsObject();
            assertEquals("fix the title", str(v3, "message"));
            assertEquals("req-3", str(v3, "requestId"));
            assertEquals(1, num(v3, "added"));
            assertEquals(1, num(v3, "removed"));
            assertEquals("author, in \u00e9t\u00e9", str(versions.get(1).getAsObject(), "message"), "percent-encoded UTF-8 is decoded");
            assertEquals("first import", str(versions.get(2).getAsObject(), "message"));
            assertTrue(str(v3, "time").endsWith("Z"));
            assertFalse(h.hasKey("next"));

            // Filters and pages.
            JsonObject byPredicate = history(f, "subject=" + enc(S) + "&predicate=" + enc("http://example/author"));
            assertEquals(1, byPredicate.get("versions").getAsArray().size());
            JsonObject byGraph = history(f, "subject=" + enc(S) + "&graph=default");
            assertEquals(List.of(3L, 1L), byGraph.get("versions").getAsArray().stream().map(v -> num(v.getAsObject(), "version")).toList());
            JsonObject page1 = history(f, "subject=" + enc(S) + "&limit=2");
            assertEquals(2, page1.get("versions").getAsArray().size());
            assertEquals(2, num(page1, "next"));
            JsonObject page2 = history(f, "subject=" + enc(S) + "&limit=2&before=2");
            assertEquals(List.of(1L), page2.get("versions").getAsArray().stream().map(v -> num(v.getAsObject(), "version")).toList());

            // The status shows how far the index has got.
            JsonObject status = JSON.parse(f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc")))).body());
            JsonObject index = status.get("datasets").getAsArray().get(0).getAsObject().get("historyIndex").getAsObject();
            assertEquals(4, num(index, "indexedVersion"));
            assertTrue(num(index, "bytes") > 0);

            // The feed carries the message too.
            List<RDFPatch> feed = f.feed("ds");
            assertEquals("fix the title", feed.get(2).getHeader(PatchHeaders.MESSAGE).getLiteralLexicalForm());
            assertEquals(null, feed.get(3).getHeader(PatchHeaders.MESSAGE));

            // Bad requests say what is wrong.
            for ( String bad : List.of("", "subject=not-an-iri", "subject=" + enc(S) + "&limit=0", "subject=" + enc(S) + "&before=x") ) {
                HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/history?" + bad))));
                assertEquals(400, r.statusCode(), bad + ": " + r.body());
            }
            HttpResponse<String> tooLong = write(f, "/ds/update", "POST", "application/sparql-update", "INSERT DATA { <x:a> <x:b> 1 }", "m".repeat(1001), "r");
            assertEquals(400, tooLong.statusCode());
            assertTrue(tooLong.body().contains(MSG), tooLong.body());
            assertEquals(4, f.runtime("ds").log().publishedVersion(), "a refused message writes nothing");
        }
    }

    @Test
    void withoutTheIndexHistoryAndRevertAnswer404NamingTheOption() {
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:historyIndex false ; cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> {})) {
            assertEquals(204, f.update("ds", "INSERT DATA { <" + S + "> <http://example/title> \"One\" }").statusCode());
            HttpResponse<String> history = f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/history?subject=" + enc(S)))));
            assertEquals(404, history.statusCode(), history.body());
            assertTrue(history.body().contains("cdc:historyIndex"), history.body());
            HttpResponse<String> revert = post(f, "/$/cdc/ds/revert?version=1&dryRun=true");
            assertEquals(404, revert.statusCode(), revert.body());
            assertTrue(revert.body().contains("cdc:historyIndex"), revert.body());
            assertFalse(Files.exists(f.runtime("ds").log().config().directory().resolve(HistoryIndex.DIR)), "no index kept");
        }
    }

    @Test
    void revertPreviewsAppliesAndRefusesConflictsWithTheVersionsInTheWay() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            CapturingDatasetGraph dsg = f.dataset("ds");
            f.update("ds", "INSERT DATA { <" + S + "> <http://example/title> \"One\" }");                          // 1
            f.update("ds", "INSERT DATA { <" + S + "> <http://example/price> 10 . <http://example/x> <http://example/p> 1 }");  // 2
            f.update("ds", "DELETE DATA { <" + S + "> <http://example/title> \"One\" } ;"
                           + " INSERT DATA { <" + S + "> <http://example/title> \"Bad\" }");                           // 3
            f.update("ds", "DELETE DATA { <" + S + "> <http://example/price> 10 }");                               // 4

            HttpResponse<String> dry = post(f, "/$/cdc/ds/revert?version=3&dryRun=true");
            assertEquals(200, dry.statusCode(), dry.body());
            assertTrue(dry.headers().firstValue("Content-Type").orElse("").startsWith("application/rdf-patch"));
            assertTrue(dry.body().contains("H reverts \"3\"") && dry.body().contains("D <" + S + "> <http://example/title> \"Bad\""), dry.body());
            assertEquals(4, f.runtime("ds").log().publishedVersion(), "a dry run writes nothing");

            HttpResponse<String> done = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/revert?version=3"))).header(MSG, "undo the bad title")
                                                          .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, done.statusCode(), done.body());
            assertEquals(5, num(JSON.parse(done.body()), "version"));
            assertTrue(Txn.calculateRead(dsg, () -> dsg.contains(SSE.parseQuad("(_ <" + S + "> <http://example/title> \"One\")"))));
            assertFalse(Txn.calculateRead(dsg, () -> dsg.contains(SSE.parseQuad("(_ <" + S + "> <http://example/title> \"Bad\")"))));
            RDFPatch revert = f.feed("ds").get(4);
            assertEquals("3", revert.getHeader(PatchHeaders.REVERTS).getLiteralLexicalForm());
            assertTrue(revert.getHeader(PatchHeaders.REVERTED_BY).getLiteralLexicalForm().length() > 0);
            assertEquals("undo the bad title", revert.getHeader(PatchHeaders.MESSAGE).getLiteralLexicalForm());
            JsonObject newest = history(f, "subject=" + enc(S) + "&limit=1").get("versions").getAsArray().get(0).getAsObject();
            assertEquals("3", str(newest, "reverts"));

            // Version 2 added the price that version 4 deleted: in the way.
            HttpResponse<String> conflict = post(f, "/$/cdc/ds/revert?version=2");
            assertEquals(409, conflict.statusCode(), conflict.body());
            JsonArray conflicts = JSON.parse(conflict.body()).get("conflicts").getAsArray();
            assertEquals(1, conflicts.size());
            assertEquals(4, num(conflicts.get(0).getAsObject(), "version"));
            assertTrue(conflicts.get(0).getAsObject().get("quads").getAsArray().get(0).getAsString().value().contains("http://example/price"));
            assertEquals(5, f.runtime("ds").log().publishedVersion(), "a refused revert writes nothing");

            assertEquals(404, post(f, "/$/cdc/ds/revert?version=99").statusCode());
            assertEquals(400, post(f, "/$/cdc/ds/revert").statusCode());
            assertEquals(405, f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/revert?version=1")))).statusCode());
        }
    }

    @Test
    void revertIsForTheDatasetsAdminsOnly() {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", "cdc:adminUsers \"admin\" ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work, config, b -> b.passwordFile(passwd.toString()).auth(AuthScheme.BASIC).serverAuthPolicy(Auth.ANY_USER))) {
            String admin = "Basic " + Base64.getEncoder().encodeToString("admin:admin-pw".getBytes(StandardCharsets.UTF_8));
            String alice = "Basic " + Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
            assertEquals(204, f.send(HttpRequest.newBuilder(URI.create(f.url("/ds/update"))).header("Authorization", alice)
                                                .header("Content-Type", "application/sparql-update")
                                                .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <" + S + "> <http://example/p> 1 }"))).statusCode());
            HttpResponse<String> refused = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/revert?version=1"))).header("Authorization", alice)
                                                             .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(403, refused.statusCode(), refused.body());
            HttpResponse<String> done = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/revert?version=1"))).header("Authorization", admin)
                                                          .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(200, done.statusCode(), done.body());
            List<RDFPatch> feed = List.of(LogReplay.patch(f.runtime("ds").log().read(1)), LogReplay.patch(f.runtime("ds").log().read(2)));
            assertEquals("alice", feed.get(0).getHeader(PatchHeaders.USER).getLiteralLexicalForm());
            assertEquals("admin", feed.get(1).getHeader(PatchHeaders.USER).getLiteralLexicalForm());
            assertEquals("admin", feed.get(1).getHeader(PatchHeaders.REVERTED_BY).getLiteralLexicalForm());
        }
    }
}
