package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.fuseki.main.FusekiMain;
import org.apache.jena.fuseki.main.runner.FusekiRunner;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each bad configuration stops Fuseki at start-up, started exactly as an admin would
 * ({@code --config file}, with the modules Fuseki's server command loads), with a message naming the problem, where it is, and the fix.
 */
class ConfigErrorsTest {
    @TempDir
    Path work;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
        bad-unknown-property.ttl            | unknown property cdc:logDirectry  | line 15
        bad-missing-dataset.ttl             | cdc:dataset is required           | cdc:CapturedDataset
        bad-missing-log-directory.ttl       | cdc:logDirectory is required      | for example
        bad-retain-age.ttl                  | months and years                  | line 15
        bad-fsync.ttl                       | must be true or false             | line 15
        bad-allowed-origins.ttl             | is not an origin: write scheme://host | https://app.example.org/dashboard
        bad-live-costly-threshold.ttl       | cdc:liveCostlyQueryMillis 5000 is longer than cdc:liveQueryTimeoutSeconds (2 s) | Use at most 2000
        bad-live-costly-threads.ttl         | cdc:liveCostlyThreads 1000 would let | use at most 64
        bad-live-costly-busy.ttl            | cdc:liveCostlyBusyPercent 150 is a share of the time | use 1 to 100
        bad-segment-bytes.ttl               | must be at least 1024             | line 15
        bad-start-new-history.ttl           | cdc:startNewHistory must be a whole number | line 15
        bad-slow-reader-seconds.ttl         | cdc:slowReaderSeconds must be at least 1 | line 15
        bad-feed-max-streams-per-client.ttl | cdc:feedMaxStreamsPerClient 5 is more than cdc:feedMaxStreams 4 | use at most 4
        bad-name-ambiguous.ttl              | several services serve it         | cdc:name "ds"
        bad-log-directory-not-creatable.ttl | cannot create the change log directory | cdc:logDirectory
        bad-log-of-another-dataset.ttl      | belongs to dataset 'other', not to 'ds' | own cdc:logDirectory
        bad-source-unknown-type.ttl         | unknown cdc:source type cdc:MysqlSource | cdc:PostgresSource
        bad-source-password.ttl             | unknown option cdc:password       | cdc:passwordEnv
        bad-source-no-subject-template.ttl  | cdc:subjectTemplate is required   | table public.c
        bad-capture-inside-access-control.ttl | its cdc:dataset is an access:AccessControlledDataset | give the access:AccessControlledDataset this cdc:CapturedDataset as its access:dataset
        bad-history-snapshots-on-follower.ttl | history copies are taken on the leader only | remove cdc:historySnapshotEvery here
        bad-sink-name.ttl                   | cdc:name "../../elsewhere" of a sink also names the directory of its state | such as "main"
        bad-log-directory-path.ttl          | cdc:logDirectory is not a usable path | Nul character
        bad-feed-max-streams.ttl            | cdc:feedMaxStreams must be at most 2147483647 | got 4294967296
        bad-retain-age-too-long.ttl         | longer than any clock counts      | cdc:retainAge
        bad-continuous-query-window.ttl     | RANGE takes an ISO 8601 duration such as PT30S | cdc:continuousQuery "avg"
        bad-continuous-query-stream.ttl     | unknown stream <urn:my-stream>    | https://w3id.org/fuseki-cdc#added
        bad-continuous-query-view-of-select.ttl | cdc:outputGraph takes the triples of a CONSTRUCT query | make it a CONSTRUCT
        bad-continuous-query-late-graph-commit-time.ttl | this query's windows are on commit time, where no event is late | TIME <property> LATENESS <duration>
        bad-continuous-query-late-graph-is-view.ttl | cdc:lateGraph and cdc:outputGraph are both <urn:view> | a graph of their own
        bad-continuous-query-name.ttl       | cdc:name is required and must be 1-64 letters | "../avg"
        bad-continuous-query-no-output.ttl  | the query has no output           | give it a cdc:sink
        bad-continuous-query-sink-format.ttl | a continuous query's sink sends its steps as JSON | remove cdc:format
        bad-sink-step-format.ttl            | cdc:format "step" is for the sinks of a cdc:continuousQuery | use text, binary, json or entity
        """)
    void badConfigurationStopsStartUpWithTheCauseAndTheFix(String fixture, String cause, String where) throws IOException {
        // A log directory already used by another dataset.
        try (ChangeLog other = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("other-log"), "other"))) {
            other.headVersion();
        }
        Path config = work.resolve(fixture);
        try (InputStream in = getClass().getResourceAsStream("/bad-config/" + fixture)) {
            String ttl = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("@WORK@", work.toString());
            Files.writeString(config, ttl);
        }
        Throwable ex = assertThrows(Throwable.class, () -> FusekiMain.builder(FusekiRunner.fmodsServerPlain(), "--port=0", "--config=" + config).build());
        String messages = messages(ex);
        assertTrue(messages.contains(cause), () -> "expected the cause '" + cause + "' in: " + messages);
        assertTrue(messages.contains(where), () -> "expected '" + where + "' in: " + messages);
    }

    private static String messages(Throwable ex) {
        List<String> all = new ArrayList<>();
        for ( Throwable t = ex ; t != null ; t = t.getCause() )
            all.add(String.valueOf(t.getMessage()));
        return String.join(" / ", all);
    }
}
