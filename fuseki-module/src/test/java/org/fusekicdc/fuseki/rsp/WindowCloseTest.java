package org.fusekicdc.fuseki.rsp;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.fuseki.config.StreamSettings;
import org.fusekicdc.live.ClientCounts;
import org.fusekicdc.live.LiveConfig;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no commit at all, a time window closes at its end: the feeder waits until the earliest
 * window's end, not for the tick ({@code cdc:streamTickMillis}), which here is a minute.
 */
class WindowCloseTest {
    private static final Duration TICK = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private record Arrival(Instant windowEnd, Instant received) {}

    @Test
    void timeWaitsForACommitPublishedAfterTheFeedToEnterItsWindows() {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        try {
            org.apache.jena.system.Txn.executeWrite(dsg, () -> dsg.add(org.apache.jena.sparql.core.Quad.create(org.apache.jena.sparql.core.Quad.defaultGraphIRI,
                org.apache.jena.graph.NodeFactory.createURI("http://example/s"), org.apache.jena.graph.NodeFactory.createURI("http://example/p"),
                org.apache.jena.graph.NodeFactory.createURI("http://example/o"))));
            assertTrue(ContinuousQueries.clockNow(log, log.config().clock(), 0) == null,
                       "version 1 was published after an engine was fed through version 0: time must not pass its commit time before it is fed");
            assertFalse(ContinuousQueries.clockNow(log, log.config().clock(), 1) == null, "fed through version 1, time goes on");
        } finally {
            dsg.close();
        }
    }

    @Test
    void aWindowClosesAtItsEndWithoutACommitNotATickLater() throws Exception {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("log"), "ds").withFsync(false));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(dir.resolve("spill")));
        StreamSettings settings = new StreamSettings(List.of(), TICK, StreamSettings.DEFAULT_MAX_QUERIES, StreamSettings.DEFAULT_MAX_LAG_VERSIONS,
                                                     StreamEngineConfig.DEFAULTS);
        try (ContinuousQueries queries = new ContinuousQueries(dsg, settings, null, new ClientCounts(LiveConfig.DEFAULTS, "ds"))) {
            queries.start();
            StepSubscription sub = queries.subscribe("""
                SELECT (COUNT(*) AS ?n)
                FROM NAMED WINDOW <urn:w> ON <https://w3id.org/fuseki-cdc#added> [RANGE PT1S STEP PT0.5S]
                WHERE { WINDOW <urn:w> { ?s ?p ?o } }
                """, "test", 100);
            List<Arrival> arrivals = new CopyOnWriteArrayList<>();
            sub.onAvailable(() -> {
                StepSubscription.Message m;
                while ( (m = sub.next()) != null ) {
                    if ( m instanceof StepSubscription.StepMessage s )
                        arrivals.add(new Arrival(Instant.parse(s.json().get("windowEnd").getAsString().value()), Instant.now()));
                }
            });
            TestSupport.await("three windows of 0.5 s closed with no commit (the tick is " + TICK + ")", Duration.ofSeconds(20),
                              () -> arrivals.size() >= 3);
            for ( Arrival a : arrivals.subList(0, 3) ) {
                assertFalse(a.received().isBefore(a.windowEnd()), "a step is not emitted before its window ends: " + a);
                assertTrue(Duration.between(a.windowEnd(), a.received()).compareTo(Duration.ofSeconds(10)) < 0,
                           "the step of a window comes at its end, not a tick (" + TICK + ") later: " + a);
            }
        } finally {
            dsg.close();
        }
    }
}
