package org.fusekicdc.fuseki.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;
import java.nio.file.Path;
import java.time.Duration;

import org.apache.jena.query.Dataset;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.sse.SSE;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.fuseki.stream.FeedStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A captured dataset's runtime: found from the dataset Fuseki serves, started once, and closed in order, once. */
class DatasetRuntimeTest {
    @TempDir
    Path work;

    private Dataset assemble() {
        String ttl = """
            PREFIX ja:  <http://jena.hpl.hp.com/2005/11/Assembler#>
            PREFIX cdc: <https://w3id.org/fuseki-cdc#>
            <urn:ds> a cdc:CapturedDataset ;
                cdc:name "ds" ;
                cdc:dataset [ a ja:MemoryDataset ] ;
                cdc:logDirectory "@WORK@/log" ;
                cdc:sink [ a cdc:TestDirectorySink ; cdc:name "files" ; cdc:directory "@WORK@/out" ] .
            """.replace("@WORK@", work.toString());
        Model m = ModelFactory.createDefaultModel().read(new StringReader(ttl), null, "TTL");
        return DatasetFactory.assemble(m.getResource("urn:ds"));
    }

    @Test
    void theRuntimeIsFoundFromTheServedDatasetThroughWrappers() {
        Dataset ds = assemble();
        DatasetRuntime runtime = DatasetRuntimes.find(ds.asDatasetGraph());
        try {
            assertEquals("ds", runtime.name());
            assertSame(runtime, DatasetRuntimes.find(new DatasetGraphWrapper(ds.asDatasetGraph())), "found behind a wrapper Fuseki adds");
            assertNull(DatasetRuntimes.find(DatasetGraphFactory.createTxnMem()), "a dataset that is not captured has no runtime");
        } finally {
            runtime.close();
        }
    }

    @Test
    void closingStopsTheSinksAndTheEnginesThenClosesTheLog() throws Exception {
        Dataset ds = assemble();
        DatasetRuntime runtime = DatasetRuntimes.find(ds.asDatasetGraph());
        runtime.start();
        DatasetGraph dsg = ds.asDatasetGraph();
        Txn.executeWrite(dsg, () -> dsg.add(SSE.parseQuad("(<urn:g> <urn:s> <urn:p> 1)")));
        TestSupport.await("the sink delivers version 1", Duration.ofSeconds(20), () -> runtime.sinks().status().getFirst().cursor() == 1);
        runtime.liveEngine();
        FeedStreams streams = runtime.feedStreams();

        runtime.close();
        runtime.close();
        runtime.start();

        assertEquals(DatasetRuntime.State.CLOSED, runtime.state(), "closed for good: a second close and a later start change nothing");
        assertEquals(SinkState.STOPPED, runtime.sinks().status().getFirst().state(), "the sink runner stopped");
        assertTrue(runtime.log().isClosed(), "the change log is closed last");
        assertTrue(runtime.startedLiveEngine().isEmpty(), "the live engine is released");
        assertTrue(runtime.openedFeedStreams().isEmpty(), "the feed streams are released");
        assertEquals(0, streams.openCount());
    }
}
