package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.function.BooleanSupplier;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.atlas.web.AuthScheme;
import org.apache.jena.fuseki.Fuseki;
import org.apache.jena.fuseki.auth.Auth;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sink removed from the configuration leaves its change log reader behind: start-up warns
 * about it, the status lists it with what it keeps from retention, and an admin removes it.
 */
class OrphanedReaderIT {
    private static final List<String> CAPTURED = List.of(Fuseki.configLogName, Fuseki.adminLogName);

    @TempDir
    Path work;
    private final List<LogEvent> logged = Collections.synchronizedList(new ArrayList<>());
    private AbstractAppender appender;

    /** Fuseki's config log (the start-up warning) and admin log (the removal), captured and kept off the console. */
    @BeforeEach
    void captureFusekiLogs() {
        appender = new AbstractAppender("orphans", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                logged.add(event.toImmutable());
            }
        };
        appender.start();
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        for ( String name : CAPTURED ) {
            LoggerConfig lc = new LoggerConfig(name, Level.INFO, false);
            lc.addAppender(appender, Level.INFO, null);
            ctx.getConfiguration().addLogger(name, lc);
        }
        ctx.updateLoggers();
    }

    @AfterEach
    void restoreLogs() {
        LoggerContext ctx = (LoggerContext)LogManager.getContext(false);
        CAPTURED.forEach(ctx.getConfiguration()::removeLogger);
        ctx.updateLoggers();
        appender.stop();
    }

    /** The quick start with small segments, retention to one version, and the given sinks. */
    private String config(String... sinks) {
        StringBuilder options = new StringBuilder("cdc:segmentBytes 1024 ;\n    cdc:retainVersions 1 ;\n    cdc:adminUsers \"admin\" ;\n    ");
        for ( String sink : sinks )
            options.append("cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"").append(sink).append("\" ; cdc:directory \"")
                   .append(work.resolve("patches-" + sink)).append("\" ] ;\n    ");
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", options + "cdc:logDirectory");
    }

    private static HttpRequest.Builder as(String user, CdcFuseki f, String path) {
        String auth = "Basic " + Base64.getEncoder().encodeToString((user + ":" + user + "-pw").getBytes(StandardCharsets.UTF_8));
        return HttpRequest.newBuilder(URI.create(f.url(path))).header("Authorization", auth);
    }

    private static void insert(CdcFuseki f, int i) {
        HttpResponse<String> r = f.send(as("admin", f, "/ds/update").header("Content-Type", "application/sparql-update")
                                            .POST(HttpRequest.BodyPublishers.ofString("INSERT DATA { <http://example/s> <http://example/p> " + i + " }")));
        assertEquals(204, r.statusCode(), r.body());
    }

    private static JsonObject status(CdcFuseki f, String user) {
        HttpResponse<String> r = f.send(as(user, f, "/$/cdc"));
        assertEquals(200, r.statusCode(), r.body());
        return JSON.parse(r.body()).get("datasets").getAsArray().get(0).getAsObject();
    }

    private static long cursor(JsonObject ds, String sink) {
        return ds.get("sinks").getAsArray().stream().map(s -> s.getAsObject())
                 .filter(s -> s.get("name").getAsString().value().equals(sink)).findFirst().orElseThrow()
                 .get("cursor").getAsNumber().value().longValue();
    }

    private static long number(JsonObject o, String field) {
        return o.get(field).getAsNumber().value().longValue();
    }

    private static void await(BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( !c.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }

    private List<String> messages(Level level, String containing) {
        synchronized (logged) {
            return logged.stream().filter(e -> e.getLevel() == level).map(e -> e.getMessage().getFormattedMessage())
                         .filter(m -> m.contains(containing)).toList();
        }
    }

    private static CdcFuseki start(Path dir, String config) {
        Path passwd = CdcFuseki.passwordFile("admin: admin-pw\nalice: alice-pw\n");
        return CdcFuseki.start(dir, config, b -> b.passwordFile(passwd.toString()).auth(AuthScheme.BASIC).serverAuthPolicy(Auth.ANY_USER));
    }

    @Test
    void aRemovedSinksReaderIsWarnedAboutListedWithWhatItHoldsAndRemovedByAnAdmin() throws Exception {
        try (CdcFuseki f = start(work, config("files", "kept"))) {
            insert(f, 0);
            await(() -> cursor(status(f, "admin"), "files") == 1, "sink 'files' delivered version 1");
            assertTrue(status(f, "admin").get("orphanedReaders").getAsArray().isEmpty(), "every reader has its sink");
        }
        assertEquals(List.of(), messages(Level.WARN, "belongs to no configured sink"), "no orphan while both sinks are configured");

        try (CdcFuseki f = start(work, config("kept"))) {
            List<String> warnings = messages(Level.WARN, "belongs to no configured sink");
            assertEquals(1, warnings.size(), warnings.toString());
            assertTrue(warnings.getFirst().contains("Dataset 'ds': change log reader 'sink.files' (acknowledged version 1)"), warnings.getFirst());
            assertTrue(warnings.getFirst().contains("DELETE /$/cdc/ds/readers/sink.files"), "names the fix: " + warnings.getFirst());

            for ( int i = 1 ; i <= 40 ; i++ )
                insert(f, i);
            await(() -> cursor(status(f, "admin"), "kept") == 41, "sink 'kept' delivered every version");
            JsonObject ds = status(f, "admin");
            assertEquals(1, number(ds, "oldestVersion"), "the orphan keeps version 2 on, and retention keeps the segment holding version 1 with it");
            assertTrue(Files.exists(work.resolve("changes/ds/00000000000000000001.log")));
            JsonArray orphans = ds.get("orphanedReaders").getAsArray();
            assertEquals(1, orphans.size(), orphans.toString());
            JsonObject orphan = orphans.get(0).getAsObject();
            assertEquals("sink.files", orphan.get("name").getAsString().value());
            assertEquals(1, number(orphan, "acknowledged"));
            assertEquals(40, number(orphan, "heldVersions"));
            assertTrue(number(orphan, "heldBytes") > 1024, orphan.toString());
            assertFalse(status(f, "alice").hasKey("orphanedReaders"), "for the dataset's admins only");

            HttpResponse<String> refused = f.send(as("alice", f, "/$/cdc/ds/readers/sink.files").DELETE());
            assertEquals(403, refused.statusCode(), refused.body());
            HttpResponse<String> owned = f.send(as("admin", f, "/$/cdc/ds/readers/sink.kept").DELETE());
            assertEquals(409, owned.statusCode(), owned.body());
            assertTrue(owned.body().contains("configured sink 'kept'"), owned.body());
            HttpResponse<String> unknown = f.send(as("admin", f, "/$/cdc/ds/readers/sink.nosuch").DELETE());
            assertEquals(404, unknown.statusCode(), unknown.body());
            assertEquals(1, status(f, "admin").get("orphanedReaders").getAsArray().size(), "refused removals remove nothing");

            HttpResponse<String> removed = f.send(as("admin", f, "/$/cdc/ds/readers/sink.files").DELETE());
            assertEquals(200, removed.statusCode(), removed.body());
            JsonObject answer = JSON.parse(removed.body());
            assertEquals("sink.files", answer.get("reader").getAsString().value());
            assertTrue(number(answer, "versionsRemoved") > 0, answer.toString());

            ds = status(f, "admin");
            assertTrue(ds.get("orphanedReaders").getAsArray().isEmpty(), ds.toString());
            assertTrue(number(ds, "oldestVersion") > 2, "retention removed the segments the orphan kept: " + ds);
            assertFalse(Files.exists(work.resolve("changes/ds/00000000000000000001.log")));
            assertFalse(Files.exists(work.resolve("changes/ds/readers/sink.files.cursor")));
            List<String> adminLines = messages(Level.INFO, "reader 'sink.files' (acknowledged version 1) removed");
            assertEquals(1, adminLines.size(), "the removal is in Fuseki's admin log");
            assertTrue(adminLines.getFirst().contains("by user admin"), adminLines.getFirst());
            assertEquals(1, messages(Level.WARN, "DELETE /$/cdc/ds/readers/sink.files by user alice").size(), "the refusal is in the admin log");
        }
    }
}
