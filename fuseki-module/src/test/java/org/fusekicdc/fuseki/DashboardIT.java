package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;

import org.fusekicdc.core.sink.internal.SinkRunners;
import org.fusekicdc.core.sink.SinkState;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.fusekicdc.core.testing.TestSupport;

/**
 * The dashboard in a real browser (headless Chromium): the page loads, a live query typed in
 * the playground shows a write as it happens, and a sink paused from the page shows as paused.
 * Saves {@code target/dashboard.png}. Under {@code CI=true} a missing Chromium is a failure.
 */
class DashboardIT {
    @TempDir
    Path work;

    @BeforeAll
    static void needChromium() {
        if ( !HeadlessChromium.available() )
            TestSupport.skipOrFail("DashboardIT: " + HeadlessChromium.missing());
    }

    @Test
    void playgroundShowsWritesAndAPausedSinkShowsAsPaused() throws Exception {
        Path out = work.resolve("patches");
        String config = CdcFuseki.exampleConfig("quickstart.ttl", work)
                                 .replace("cdc:logDirectory", "cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"files\" ; cdc:directory \"" + out
                                                              + "\" ] ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work.resolve("server"), config, b -> {});
             HeadlessChromium browser = HeadlessChromium.start(work.resolve("profile"))) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/book1> <http://purl.org/dc/terms/title> \"Capture\" }").statusCode());

            browser.open(f.url("/$/cdc/dashboard"));
            await(() -> browser.text("[data-dataset=\"ds\"] h2"), t -> t.contains("head version 1"), "the dataset panel");
            await(() -> browser.text("[data-sink=\"files\"] [data-role=\"sink-state\"]"), "running"::equals, "the sink shown running");

            String query = "SELECT ?book ?title { ?book <http://purl.org/dc/terms/title> ?title }";
            browser.type(browser.find("#pgQuery"), query);
            browser.click(browser.find("#pgRun"));
            await(() -> browser.text("#pgState"), "running"::equals, "the live query running");
            await(() -> browser.text("#pgResults tbody"), t -> t.contains("Capture"), "the initial answer");

            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/book2> <http://purl.org/dc/terms/title> \"Live\" }").statusCode());
            await(() -> browser.text("#pgResults tbody"), t -> t.contains("Live") && t.contains("book2"), "the write in the playground");
            await(() -> browser.text("#pgVersion"), t -> t.startsWith("version 2:"), "the version of the update");

            // Pause from the page. The panel is redrawn every second, so retry a click that lands on a replaced button.
            SinkRunners d = f.runtime("ds").sinks();
            await(() -> {
                try {
                    String pause = browser.find("[data-sink=\"files\"] button[data-action=\"pause\"]");
                    if ( pause != null )
                        browser.click(pause);
                } catch (HeadlessChromium.WebDriverException stale) {
                    // Redrawn under us: try again.
                }
                return d.status().getFirst().state().name();
            }, SinkState.PAUSED.name()::equals, "the sink paused by the page's button");
            await(() -> browser.text("[data-sink=\"files\"] [data-role=\"sink-state\"]"), "paused"::equals, "the sink shown paused");

            Path shot = Path.of("target", "dashboard.png");
            browser.screenshot(shot);
            assertTrue(Files.size(shot) > 10_000, "a screenshot of the page");
        }
    }

    @Test
    void aReaderLeftByARemovedSinkIsListedAndRemovedFromThePage() throws Exception {
        String twoSinks = CdcFuseki.exampleConfig("quickstart.ttl", work)
                                   .replace("cdc:logDirectory", "cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"gone\" ; cdc:directory \""
                                                                + work.resolve("patches") + "\" ] ;\n    cdc:logDirectory");
        try (CdcFuseki f = CdcFuseki.start(work.resolve("server"), twoSinks, b -> {})) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/book1> <http://purl.org/dc/terms/title> \"Capture\" }").statusCode());
            SinkRunners d = f.runtime("ds").sinks();
            await(() -> Long.toString(d.status().getFirst().cursor()), "1"::equals, "sink 'gone' delivered version 1");
        }
        try (CdcFuseki f = CdcFuseki.start(work.resolve("server"), CdcFuseki.exampleConfig("quickstart.ttl", work), b -> {});
             HeadlessChromium browser = HeadlessChromium.start(work.resolve("profile"))) {
            browser.open(f.url("/$/cdc/dashboard"));
            await(() -> browser.text("[data-reader=\"sink.gone\"]"), t -> t.startsWith("sink.gone1"), "the orphaned reader, acknowledged version 1");
            await(() -> {
                try {
                    String remove = browser.find("[data-reader=\"sink.gone\"] button[data-action=\"remove-reader\"]");
                    if ( remove != null ) {
                        browser.click(remove);
                        browser.acceptDialog();
                    }
                } catch (HeadlessChromium.WebDriverException stale) {
                    // Redrawn under us: try again.
                }
                return Boolean.toString(f.dataset("ds").changeLog().readers().isEmpty());
            }, "true"::equals, "the reader removed by the page's button");
            await(() -> String.valueOf(browser.find("[data-reader]")), "null"::equals, "the reader gone from the page");
        }
    }

    private static void await(Supplier<String> value, java.util.function.Predicate<String> ok, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = null;
        while ( true ) {
            last = value.get();
            if ( last != null && ok.test(last) )
                return;
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for " + what + "; last seen: " + last);
            Thread.sleep(100);
        }
    }
}
