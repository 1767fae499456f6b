package org.fusekicdc.core.testing.contract;

import java.nio.file.Path;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.SinkProvider;

/**
 * A captured dataset named {@value #DATASET} with its change log, and sinks created through
 * their provider, as the server creates them. On TDB2, set up as the assembler does (torn
 * journal repaired first), where a process is killed; in memory and without fsync elsewhere,
 * which keeps the clauses quick and changes nothing a sink sees.
 */
final class ContractStore implements AutoCloseable {
    static final String DATASET = "ds";
    private static final String NS = "http://example/";
    private static final Node P = NodeFactory.createURI(NS + "p");

    final Path dir;
    final ChangeLog log;
    final CapturingDatasetGraph dsg;
    /** The TDB2 dataset under {@link #dsg}, or null in memory. */
    private final DatasetGraph tdb;

    private ContractStore(Path dir, ChangeLog log, CapturingDatasetGraph dsg, DatasetGraph tdb) {
        this.dir = dir;
        this.log = log;
        this.dsg = dsg;
        this.tdb = tdb;
    }

    static ContractStore inMemory(Path dir) {
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), DATASET).withFsync(false));
        return new ContractStore(dir, log, CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log,
                                                                         CaptureConfig.defaults(dir.resolve("spill"))), null);
    }

    static ContractStore open(Path dir) {
        Tdb2JournalRepair.repairTornTail(dir.resolve("tdb"));
        DatasetGraph tdb = TDB2Factory.connectDataset(dir.resolve("tdb").toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(dir.resolve("changes"), DATASET));
        return new ContractStore(dir, log, CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(dir.resolve("spill"))), tdb);
    }

    Sink sink(SinkProvider provider, String name, Map<String, String> options) {
        return provider.create(DATASET, new OptionValues(name, Map.copyOf(options)), dir.resolve("sink-work"));
    }

    /** One transaction adding {@code quads} quads to graph {@code g}: a patch of about 80 bytes a quad. */
    void writeLarge(String g, int quads) {
        Node graph = NodeFactory.createURI(NS + g);
        Txn.executeWrite(dsg, () -> {
            for ( int k = 0 ; k < quads ; k++ )
                dsg.add(graph, NodeFactory.createURI(NS + g + "/s" + k), P, NodeFactory.createLiteralString("large " + k));
        });
    }

    @Override
    public void close() {
        dsg.close();   // closes the log too
        if ( tdb != null )
            TDBInternal.expel(tdb);   // so that the temporary directory can go
    }
}
