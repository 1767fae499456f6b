package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.apache.jena.fuseki.main.FusekiMain;
import org.apache.jena.fuseki.main.runner.FusekiRunner;
import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.SinkState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sinks configured on a captured dataset start with the server, deliver, and gate writes when told to. */
class SinkWiringIT {
    @TempDir
    Path work;

    private String config(String sink) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", sink + " ;\n    cdc:logDirectory");
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
    void aConfiguredSinkReceivesEveryCommittedPatch() {
        Path out = work.resolve("patches");
        try (CdcFuseki f = CdcFuseki.start(work, config("cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"files\" ; cdc:directory \"" + out + "\" ]"), b -> {})) {
            for ( int i = 1 ; i <= 5 ; i++ )
                assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " }").statusCode());
            await(() -> Files.exists(out.resolve("5.rdfp")), "version 5 delivered");
            SinkRunners d = f.runtime("ds").sinks();
            await(() -> d.status().getFirst().cursor() == 5, "cursor at 5");
            assertEquals("files", d.status().getFirst().sink());
            var status = f.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url("/$/cdc"))));
            assertEquals(200, status.statusCode());
            var json = org.apache.jena.atlas.json.JSON.parse(status.body());
            var ds = json.get("datasets").getAsArray().get(0).getAsObject();
            assertEquals(5, ds.get("headVersion").getAsNumber().value().intValue());
            var sinkJson = ds.get("sinks").getAsArray().get(0).getAsObject();
            assertEquals("files", sinkJson.get("name").getAsString().value());
            assertEquals("running", sinkJson.get("state").getAsString().value());
            assertEquals(5, sinkJson.get("cursor").getAsNumber().value().intValue());
            assertEquals(0, sinkJson.get("lagVersions").getAsNumber().value().intValue());
        }
    }

    @Test
    void writesGet503WhileARefusingSinkIsTooFarBehindAndResumeWhenItCatchesUp() throws Exception {
        Path out = work.resolve("patches");
        Files.createDirectories(out);
        Files.writeString(out.resolve("fail"), "");
        String sink = "cdc:sink [ a cdc:TestDirectorySink ; cdc:directory \"" + out + "\" ; cdc:failing true ; "
                      + "cdc:maxLagVersions 2 ; cdc:onLag \"refuse\" ; cdc:retryInitialMillis 10 ; cdc:retryMaxMillis 50 ]";
        try (CdcFuseki f = CdcFuseki.start(work, config(sink), b -> {})) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 1 }").statusCode());
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 2 }").statusCode());
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 3 }").statusCode());
            var refused = f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 4 }");
            assertEquals(503, refused.statusCode());
            assertTrue(refused.body().contains("sink 'testdirectory' is 3 versions behind"), refused.body());
            assertTrue(refused.headers().firstValue("Retry-After").isPresent());
            assertEquals(503, f.put("/ds?graph=http://example/g", "text/turtle", "<http://example/a> <http://example/b> 1 .").statusCode());
            assertEquals(200, f.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(f.url("/ds?query=ASK%7B%7D")))).statusCode(),
                         "reads are not refused");
            SinkRunners d = f.runtime("ds").sinks();
            assertEquals(SinkState.RETRYING, d.status().getFirst().state());
            Files.delete(out.resolve("fail"));
            await(() -> d.writeRefusal().isEmpty(), "the sink caught up");
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 4 }").statusCode());
        }
    }

    @Test
    void sinkConfigurationMistakesStopStartUpWithTheOptionAndLine() throws Exception {
        Path cfg = work.resolve("bad.ttl");
        Files.writeString(cfg, config("cdc:sink [ a cdc:TestDirectorySink ; cdc:directry \"/tmp/x\" ]"));
        Throwable ex = assertThrows(Throwable.class, () -> FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + cfg).build());
        assertTrue(ex.getMessage().contains("unknown option cdc:directry"), ex.getMessage());
        assertTrue(ex.getMessage().contains("line "), ex.getMessage());
        Files.writeString(cfg, config("cdc:sink [ a cdc:NoSuchSink ]"));
        ex = assertThrows(Throwable.class, () -> FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + cfg).build());
        assertTrue(ex.getMessage().contains("unknown cdc:sink type cdc:NoSuchSink"), ex.getMessage());
        Files.writeString(cfg, config("cdc:sink [ a cdc:TestDirectorySink ; cdc:directory \"${env:FUSEKI_CDC_NO_SUCH_VARIABLE}\" ]"));
        ex = assertThrows(Throwable.class, () -> FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + cfg).build());
        assertTrue(ex.getMessage().contains("environment variable FUSEKI_CDC_NO_SUCH_VARIABLE, which is not set"), ex.getMessage());
    }
}
