package org.fusekicdc.sink.kafka;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.Sink;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.sink.internal.SinkRunner;

/**
 * A captured TDB2 dataset with its change log, as the Fuseki module sets it up: writes go
 * through {@link CapturingDatasetGraph}, so every committed transaction is one version.
 */
final class CapturedStore implements AutoCloseable {
    static final String NS = "http://example/";
    static final Node P = NodeFactory.createURI(NS + "p");

    final Path dir;
    final ChangeLog log;
    final CapturingDatasetGraph dsg;

    private CapturedStore(Path dir, ChangeLog log, CapturingDatasetGraph dsg) {
        this.dir = dir;
        this.log = log;
        this.dsg = dsg;
    }

    static Path tdbDir(Path dir)   { return dir.resolve("tdb"); }
    static Path logDir(Path dir)   { return dir.resolve("changes"); }
    static Path spillDir(Path dir) { return dir.resolve("spill"); }
    static Path workDir(Path dir)  { return dir.resolve("sink-work"); }

    static CapturedStore open(Path dir, String dataset) {
        Tdb2JournalRepair.repairTornTail(tdbDir(dir));   // as the assembler does: a kill can tear TDB2's journal
        DatasetGraph tdb = TDB2Factory.connectDataset(tdbDir(dir).toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(logDir(dir), dataset));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(tdb, log, CaptureConfig.defaults(spillDir(dir)));
        return new CapturedStore(dir, log, dsg);
    }

    String dataset() {
        return log.dataset();
    }

    /**
     * Transaction number {@code i} of a repeatable workload: adds a quad in one of three graphs,
     * every 5th also deletes an earlier one, every 17th also adds a prefix. Each changes something,
     * so each is one version.
     */
    void write(int i) {
        Txn.executeWrite(dsg, () -> {
            dsg.add(graph(i), subject(i), P, NodeFactory.createLiteralString("value " + i));
            if ( i % 5 == 0 && i > 3 )
                dsg.delete(graph(i - 3), subject(i - 3), P, NodeFactory.createLiteralString("value " + (i - 3)));
            if ( i % 17 == 0 )
                dsg.prefixes().add("p" + i, NS + "prefix/" + i + "#");
        });
    }

    /** One transaction adding {@code quads} quads to graph {@code g}: a patch of about 80 bytes a quad. */
    void writeLarge(String g, int quads) {
        Node graph = NodeFactory.createURI(NS + g);
        Txn.executeWrite(dsg, () -> {
            for ( int k = 0 ; k < quads ; k++ )
                dsg.add(graph, NodeFactory.createURI(NS + g + "/s" + k), P, NodeFactory.createLiteralString("large " + k));
        });
    }

    static Node graph(int i) {
        return NodeFactory.createURI(NS + "g" + (i % 3));
    }

    static Node subject(int i) {
        return NodeFactory.createURI(NS + "s" + i);
    }

    /** A Kafka sink named {@code name} for this dataset through the provider, as the server creates it. */
    Sink kafkaSink(String name, Map<String, String> options) {
        return new KafkaSinkProvider().create(dataset(), new OptionValues(name, new HashMap<>(options)), workDir(dir));
    }

    /** A started runner feeding {@code sink}, reading this dataset as of each patch as the server's runners do (entity documents). */
    SinkRunner runner(Sink sink, SinkConfig config) {
        SinkRunner r = new SinkRunner(log, new AsOfSource(dsg), sink, config);
        r.start();
        return r;
    }

    @Override
    public void close() {
        dsg.close();
    }
}
