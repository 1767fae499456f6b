package org.fusekicdc.fuseki;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;

import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.tdb2.DatabaseMgr;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.testing.LiteralSpellings;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The differential test over HTTP: literals in non-canonical spellings written to the quick
 * start's TDB2 dataset every way a client can (SPARQL Update in one or several transactions,
 * DELETE WHERE, DELETE DATA and INSERT DATA of another spelling, the Graph Store Protocol's
 * PUT), then every patch of {@code /ds/changes} replayed onto an empty in-memory dataset and
 * onto an empty TDB2 dataset: each gives the server's dataset exactly, quad for quad, and no
 * replayed change is a no-op (an add of a quad already there, a delete of one absent).
 */
class StoreTermsIT {
    @TempDir
    Path work;

    private static void assertOk(HttpResponse<String> r) {
        assertTrue(r.statusCode() / 100 == 2, () -> "HTTP " + r.statusCode() + ": " + r.body());
    }

    @Test
    void theFeedReplayedOntoAnInMemoryOrATdb2DatasetGivesTheServersDataset() {
        try (CdcFuseki f = CdcFuseki.startQuickstart(work.resolve("server"))) {
            LiteralSpellings.updates().forEach(u -> assertOk(f.update("ds", u)));
            assertOk(f.put("/ds?graph=http://example/gput", "text/turtle", LiteralSpellings.turtle(false)));
            assertOk(f.put("/ds?graph=http://example/gput", "text/turtle", LiteralSpellings.turtle(true)));

            CapturingDatasetGraph server = f.dataset("ds");
            List<RDFPatch> feed = f.feed("ds");
            assertEquals(server.changeLog().publishedVersion(), feed.size(), "patches in the feed");

            DatasetGraph tdb2 = DatabaseMgr.connectDatasetGraph(work.resolve("replay-tdb2").toString());
            try {
                for ( DatasetGraph replay : List.of(DatasetGraphFactory.createTxnMem(), tdb2) ) {
                    feed.forEach(p -> LogReplay.applyChecked(replay, p));
                    LogReplay.assertSameDataset(server, replay, "the feed replayed onto " + replay.getClass().getSimpleName());
                }
            } finally {
                TDBInternal.expel(tdb2);
            }
        }
    }
}
