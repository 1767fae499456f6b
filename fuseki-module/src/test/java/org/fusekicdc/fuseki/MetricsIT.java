package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With Fuseki's metrics on, capture, the change log, sinks and live queries show in /$/metrics with dataset and sink tags. */
class MetricsIT {
    @TempDir
    Path work;

    private String config(String sink) {
        return CdcFuseki.exampleConfig("quickstart.ttl", work).replace("cdc:logDirectory", sink + " ;\n    cdc:logDirectory");
    }

    @Test
    void prometheusEndpointShowsCaptureLogSinkAndLiveMeters() throws Exception {
        Path out = work.resolve("patches");
        String sink = "cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"files\" ; cdc:directory \"" + out + "\" ]";
        try (CdcFuseki f = CdcFuseki.start(work, config(sink), b -> b.enableMetrics(true));
             SseClient live = new SseClient(f.url("/ds/live?query=" + URLEncoder.encode("SELECT ?o { ?s ?p ?o }", StandardCharsets.UTF_8)),
                                            Map.of("Accept", "text/event-stream"))) {
            assertEquals("initial", live.next().event());
            for ( int i = 1 ; i <= 3 ; i++ )
                assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> " + i + " , " + (i + 10) + " }").statusCode());
            while ( !"3".equals(live.next().id()) ) {}
            await(() -> Files.exists(out.resolve("3.rdfp")), "version 3 delivered");

            // One scrape reads each gauge in turn: wait for a scrape in which the sink is caught up in all of them.
            String m = awaitMetrics(f, Map.of("fusekicdc_sink_cursor_version{dataset=\"ds\",sink=\"files\"}", 3.0,
                                              "fusekicdc_sink_lag_versions{dataset=\"ds\",sink=\"files\"}", 0.0,
                                              "fusekicdc_sink_publish_seconds_count{dataset=\"ds\",sink=\"files\"}", 3.0));
            assertEquals(3.0, value(m, "fusekicdc_capture_transactions_total{dataset=\"ds\"}"));
            assertEquals(6.0, value(m, "fusekicdc_capture_quads_total{dataset=\"ds\"}"));
            assertEquals(3.0, value(m, "fusekicdc_capture_patch_size_bytes_count{dataset=\"ds\"}"));
            assertTrue(value(m, "fusekicdc_capture_patch_size_bytes_sum{dataset=\"ds\"}") > 3 * 100, "patches have headers and two quads");
            assertEquals(3.0, value(m, "fusekicdc_capture_overhead_seconds_count{dataset=\"ds\"}"));
            assertEquals(3.0, value(m, "fusekicdc_log_append_seconds_count{dataset=\"ds\"}"));
            assertEquals(3.0, value(m, "fusekicdc_store_commit_seconds_count{dataset=\"ds\"}"));
            assertTrue(value(m, "fusekicdc_store_commit_seconds_sum{dataset=\"ds\"}") > 0, "the store's commits take time");
            assertEquals(3.0, value(m, "fusekicdc_log_head_version{dataset=\"ds\"}"));
            assertEquals(1.0, value(m, "fusekicdc_log_oldest_version{dataset=\"ds\"}"));
            assertTrue(value(m, "fusekicdc_log_size_bytes{dataset=\"ds\"}") > 0);
            assertEquals(0.0, value(m, "fusekicdc_sink_lag_versions{dataset=\"ds\",sink=\"files\"}"));
            assertEquals(0.0, value(m, "fusekicdc_sink_lag_seconds{dataset=\"ds\",sink=\"files\"}"));
            assertEquals(1.0, value(m, "fusekicdc_sink_state{dataset=\"ds\",sink=\"files\",state=\"running\"}"));
            assertEquals(0.0, value(m, "fusekicdc_sink_state{dataset=\"ds\",sink=\"files\",state=\"paused\"}"));
            assertEquals(3.0, value(m, "fusekicdc_sink_publish_seconds_count{dataset=\"ds\",sink=\"files\"}"));
            assertTrue(m.contains("fusekicdc_sink_publish_seconds_bucket{dataset=\"ds\",sink=\"files\",le="), "publish latency is a histogram");
            assertEquals(0.0, value(m, "fusekicdc_sink_errors_total{dataset=\"ds\",kind=\"transient\",sink=\"files\"}"));
            assertEquals(1.0, value(m, "fusekicdc_live_subscriptions{dataset=\"ds\"}"));
            assertEquals(1.0, value(m, "fusekicdc_live_queries{dataset=\"ds\"}"));
            assertTrue(value(m, "fusekicdc_live_evaluation_seconds_count{dataset=\"ds\"}") >= 4, "the initial answer and one per commit");
            assertTrue(value(m, "fusekicdc_live_notification_latency_seconds_count{dataset=\"ds\"}") >= 1);
            assertTrue(value(m, "fusekicdc_live_match_seconds_count{dataset=\"ds\"}") >= 1);
            assertTrue(value(m, "fusekicdc_read_open_seconds_count{dataset=\"ds\"}") >= 1, "the live query reads at known versions");
            assertTrue(m.contains("fusekicdc_read_open_seconds_bucket{dataset=\"ds\",le="), "the time to open a read is a histogram");
            assertTrue(m.contains("fusekicdc_read_waited_total{dataset=\"ds\"}"), "reads that waited for a commit are counted");
        }
    }

    @Test
    void sinkErrorsAndLagAreCountedWhileTheDestinationFails() throws Exception {
        Path out = work.resolve("patches");
        Files.createDirectories(out);
        Files.writeString(out.resolve("fail"), "");
        String sink = "cdc:sink [ a cdc:TestDirectorySink ; cdc:name \"files\" ; cdc:directory \"" + out + "\" ; cdc:failing true ; "
                      + "cdc:retryInitialMillis 10 ; cdc:retryMaxMillis 50 ]";
        try (CdcFuseki f = CdcFuseki.start(work, config(sink), b -> b.enableMetrics(true))) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 1 }").statusCode());
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 2 }").statusCode());
            String m = awaitMetrics(f, Map.of("fusekicdc_sink_state{dataset=\"ds\",sink=\"files\",state=\"retrying\"}", 1.0));
            assertTrue(value(m, "fusekicdc_sink_errors_total{dataset=\"ds\",kind=\"transient\",sink=\"files\"}") >= 1);
            assertEquals(2.0, value(m, "fusekicdc_sink_lag_versions{dataset=\"ds\",sink=\"files\"}"));
            assertTrue(value(m, "fusekicdc_sink_lag_seconds{dataset=\"ds\",sink=\"files\"}") >= 0);
            assertEquals(0.0, value(m, "fusekicdc_sink_cursor_version{dataset=\"ds\",sink=\"files\"}"));
        }
    }

    @Test
    void withoutFusekiMetricsTheServerStillRuns() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work)) {
            assertEquals(204, f.update("ds", "INSERT DATA { <http://example/s> <http://example/p> 1 }").statusCode());
            assertEquals(404, f.send(HttpRequest.newBuilder(URI.create(f.url("/$/metrics")))).statusCode());
        }
    }

    /** The first scrape in which every series has its expected value; Fuseki's own tag (application) left out. */
    private static String awaitMetrics(CdcFuseki f, Map<String, Double> expected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( true ) {
            var r = f.send(HttpRequest.newBuilder(URI.create(f.url("/$/metrics"))));
            assertEquals(200, r.statusCode());
            String m = r.body().replace("application=\"fuseki\",", "");
            if ( expected.entrySet().stream().allMatch(e -> hasValue(m, e.getKey(), e.getValue())) )
                return m;
            if ( System.nanoTime() > deadline )
                throw new AssertionError("/$/metrics never had " + expected + ":\n" + m);
            Thread.onSpinWait();
        }
    }

    private static boolean hasValue(String metrics, String series, double expected) {
        Matcher v = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        return v.find() && Double.parseDouble(v.group(1)) == expected;
    }

    private static double value(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertTrue(m.find(), () -> "no series " + series + " in\n" + metrics);
        return Double.parseDouble(m.group(1));
    }

    private static void await(java.util.function.BooleanSupplier c, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while ( !c.getAsBoolean() ) {
            if ( System.nanoTime() > deadline )
                throw new AssertionError("timed out waiting for " + what);
            Thread.onSpinWait();
        }
    }
}
