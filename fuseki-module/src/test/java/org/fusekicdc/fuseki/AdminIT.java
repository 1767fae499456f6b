package org.fusekicdc.fuseki;

import org.apache.jena.rdfpatch.RDFPatchOps;

import org.apache.jena.rdfpatch.RDFPatch;

import java.io.ByteArrayInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.fuseki.auth.Auth;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.SinkState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestSupport;

/** The admin operations under /$/cdc: sinks, snapshots, live subscriptions, and who may use them. */
class AdminIT {
    @TempDir
    Path work;

    private String config() {
        Path out = work.resolve("patches");
        return CdcFuseki.exampleConfig("quickstart.ttl", work)
                        .replace("cdc:logDirectory", "cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"files\" ; cdc:directory \"" + out + "\" ] ;\n"
                                                     + "    cdc:retainVersions 1000 ;\n    cdc:logDirectory");
    }

    private static void insert(CdcFuseki f, int i) {
        assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
    }

    private static HttpResponse<String> post(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))).POST(HttpRequest.BodyPublishers.noBody()));
    }

    private static HttpResponse<String> get(CdcFuseki f, String path) {
        return f.send(HttpRequest.newBuilder(URI.create(f.url(path))));
    }

    private static JsonObject sinkStatus(CdcFuseki f) {
        JsonObject ds = JSON.parse(get(f, "/$/cdc").body()).get("datasets").getAsArray().get(0).getAsObject();
        return ds.get("sinks").getAsArray().get(0).getAsObject();
    }

    private static void await(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( !c.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }

    @Test
    void aPausedSinkKeepsItsCursorWhileWritesGoOnAndCatchesUpOnResume() {
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {})) {
            insert(f, 1);
            await(() -> sinkStatus(f).get("cursor").getAsNumber().value().intValue() == 1, "version 1 delivered");
            HttpResponse<String> r = post(f, "/$/cdc/ds/sinks/files/pause");
            assertEquals(202, r.statusCode(), r.body());
            await(() -> sinkStatus(f).get("state").getAsString().value().equals("paused"), "the sink paused");
            insert(f, 2);
            insert(f, 3);
            JsonObject s = sinkStatus(f);
            assertEquals(1, s.get("cursor").getAsNumber().value().intValue());
            assertEquals(2, s.get("lagVersions").getAsNumber().value().intValue());
            assertFalse(Files.exists(work.resolve("patches/2.rdfp")));

            assertEquals(202, post(f, "/$/cdc/ds/sinks/files/resume").statusCode());
            await(() -> sinkStatus(f).get("cursor").getAsNumber().value().intValue() == 3, "the sink caught up");
            assertEquals("running", sinkStatus(f).get("state").getAsString().value());
        }
    }

    @Test
    void rewindDeliversAgainAfterTheGivenVersion() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {})) {
            insert(f, 1);
            insert(f, 2);
            await(() -> Files.exists(work.resolve("patches/2.rdfp")), "version 2 delivered");
            Files.delete(work.resolve("patches/1.rdfp"));
            Files.delete(work.resolve("patches/2.rdfp"));
            assertEquals(202, post(f, "/$/cdc/ds/sinks/files/rewind?version=0").statusCode());
            await(() -> Files.exists(work.resolve("patches/1.rdfp")) && Files.exists(work.resolve("patches/2.rdfp")), "versions 1 and 2 delivered again");

            assertEquals(400, post(f, "/$/cdc/ds/sinks/files/rewind?version=99").statusCode(), "beyond the head");
            assertEquals(400, post(f, "/$/cdc/ds/sinks/files/rewind").statusCode(), "no version");
            assertEquals(404, post(f, "/$/cdc/ds/sinks/nosuch/pause").statusCode());
            assertEquals(404, post(f, "/$/cdc/nosuch/sinks/files/pause").statusCode());
            assertEquals(405, get(f, "/$/cdc/ds/sinks/files/pause").statusCode());
        }
    }

    @Test
    void aSnapshotIsTheDatasetAtTheVersionItNames() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {})) {
            insert(f, 1);
            insert(f, 2);
            HttpResponse<String> r = get(f, "/$/cdc/ds/snapshot");
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(Optional.of("2"), r.headers().firstValue("X-CDC-Version"));
            assertTrue(r.headers().firstValue("Content-Disposition").orElse("").contains("ds-2.rdfp"));
            RDFPatch patch = RDFPatchOps.read(new ByteArrayInputStream(r.body().getBytes(StandardCharsets.UTF_8)));
            assertEquals("2", patch.getHeader("version").getLiteralLexicalForm());
            DatasetGraph copy = DatasetGraphFactory.createTxnMem();
            RDFPatchOps.applyChange(copy, patch);
            assertEquals(2, copy.stream().count());

            insert(f, 3);
            HttpResponse<String> w = post(f, "/$/cdc/ds/snapshot");
            assertEquals(201, w.statusCode(), w.body());
            JsonObject o = JSON.parse(w.body());
            assertEquals(3, o.get("version").getAsNumber().value().intValue());
            Path file = Path.of(o.get("file").getAsString().value());
            assertEquals(work.resolve("changes/ds/snapshots/ds-3.rdfp").toAbsolutePath(), file);
            assertEquals(3, Files.readAllLines(file).stream().filter(l -> l.startsWith("A ")).count(), "three quads");
            assertEquals(3, o.get("quads").getAsNumber().value().intValue());
        }
    }

    @Test
    void liveSubscriptionsAreListedAndCanBeClosed() throws Exception {
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {});
             SseClient live = new SseClient(f.url("/ds/live?query=" + URLEncoder.encode("SELECT * { ?s ?p ?o }", StandardCharsets.UTF_8)),
                                            Map.of())) {
            assertEquals("initial", live.next().event());
            assertEquals("up-to-date", live.next().event());
            JsonObject list = JSON.parse(get(f, "/$/cdc/ds/subscriptions").body());
            var subs = list.get("subscriptions").getAsArray();
            assertEquals(1, subs.size());
            JsonObject sub = subs.get(0).getAsObject();
            assertTrue(sub.get("query").getAsString().value().matches("(?s).*SELECT.*\\?s.*\\?p.*\\?o.*"), sub.toString());
            JsonObject ds = JSON.parse(get(f, "/$/cdc").body()).get("datasets").getAsArray().get(0).getAsObject();
            assertEquals(1, ds.get("live").getAsObject().get("subscriptions").getAsNumber().value().intValue());

            long id = sub.get("id").getAsNumber().value().longValue();
            assertEquals(204, f.delete("/$/cdc/ds/subscriptions/" + id).statusCode());
            SseClient.Event closed = live.next();
            assertEquals("error", closed.event());
            assertTrue(closed.data().contains("closed by an administrator"), closed.data());
            await(() -> JSON.parse(get(f, "/$/cdc/ds/subscriptions").body()).get("subscriptions").getAsArray().isEmpty(), "the subscription closed");
            assertEquals(404, f.delete("/$/cdc/ds/subscriptions/" + id).statusCode());
            insert(f, 1);
            assertEquals(null, live.poll(1000), "the stream ended: no update after the close");
        }
    }

    @Test
    void statusNamesEndpointsRetentionAndTheDashboard() {
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {})) {
            JsonObject root = JSON.parse(get(f, "/$/cdc").body());
            assertEquals("/$/cdc/dashboard", root.get("dashboard").getAsString().value());
            JsonObject ds = root.get("datasets").getAsArray().get(0).getAsObject();
            JsonObject endpoints = ds.get("endpoints").getAsObject();
            assertEquals("/ds", endpoints.get("service").getAsString().value());
            assertEquals("/ds/live", endpoints.get("live").getAsString().value());
            assertEquals("/ds/changes", endpoints.get("changes").getAsString().value());
            assertEquals(1000, ds.get("retention").getAsObject().get("maxVersions").getAsNumber().value().intValue());
            HttpResponse<String> page = get(f, "/$/cdc/dashboard");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("dashboard.js"));
        }
    }

    /** An address of this machine other than loopback, so that a request to it is not "from localhost". */
    private static String nonLoopbackAddress() throws Exception {
        for ( NetworkInterface ni : NetworkInterface.networkInterfaces().toList() ) {
            if ( !ni.isUp() || ni.isLoopback() )
                continue;
            for ( InetAddress a : ni.inetAddresses().toList() ) {
                if ( a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress() )
                    return a.getHostAddress();
            }
        }
        return null;
    }

    @Test
    void adminOperationsNeedLocalhostWithoutAuthenticationOrAnAdminUserWithIt() throws Exception {
        String addr = nonLoopbackAddress();
        String noAddress = "this machine has no non-loopback IPv4 address to make a remote request from, so the localhost-only rule cannot be checked";
        if ( addr == null )
            TestSupport.skipOrFail(noAddress + ".");
        try (CdcFuseki f = CdcFuseki.start(work, config(), b -> {})) {
            String remote = "http://" + addr + ":" + f.server().getHttpPort();
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(remote + "/$/cdc/ds/sinks/files/pause")).POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(403, r.statusCode(), r.body());
            assertEquals(403, f.send(HttpRequest.newBuilder(URI.create(remote + "/$/cdc/ds/snapshot"))).statusCode());
            assertEquals(200, f.send(HttpRequest.newBuilder(URI.create(remote + "/$/cdc"))).statusCode(), "status is read-only and open");
            SinkRunners d = f.runtime("ds").sinks();
            assertEquals(SinkState.RUNNING, d.status().getFirst().state());
        }
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        String withAdmin = config().replace("cdc:logDirectory", "cdc:adminUsers \"admin\" ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work.resolve("auth"), withAdmin,
                                           b -> b.passwordFile(passwd.toString()).auth(AuthScheme.BASIC).serverAuthPolicy(Auth.ANY_USER))) {
            String remote = "http://" + addr + ":" + f.server().getHttpPort();
            String auth = "Basic " + Base64.getEncoder().encodeToString("admin:admin-pw".getBytes(StandardCharsets.UTF_8));
            assertEquals(401, f.send(HttpRequest.newBuilder(URI.create(remote + "/$/cdc/ds/sinks/files/pause"))
                                                .POST(HttpRequest.BodyPublishers.noBody())).statusCode());
            HttpResponse<String> r = f.send(HttpRequest.newBuilder(URI.create(remote + "/$/cdc/ds/sinks/files/pause")).header("Authorization", auth)
                                                       .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(202, r.statusCode(), r.body());
            String alice = "Basic " + Base64.getEncoder().encodeToString("alice:alice-pw".getBytes(StandardCharsets.UTF_8));
            HttpResponse<String> notAdmin = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/cdc/ds/sinks/files/resume"))).header("Authorization", alice)
                                                              .POST(HttpRequest.BodyPublishers.noBody()));
            assertEquals(403, notAdmin.statusCode(), "logged in, from this machine, but not in cdc:adminUsers");
            assertTrue(notAdmin.body().contains("cdc:adminUsers"), notAdmin.body());
        }
    }
}
