package org.fusekicdc.source.mariadb;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link MariaDbSourceCrashIT}: a captured TDB2 dataset with a MariaDB source, as
 * the server runs it, killed by the parent. Prints {@code VERSION n} whenever the change log's
 * published version changes, and {@code ROWS n}, the rows in the dataset (ex:label triples), twice a second. Arguments: work directory, file holding the source's Turtle description.
 */
public final class MariaDbSourceChild {
    private MariaDbSourceChild() {}

    static ChangeLogConfig logConfig(Path work) {
        return ChangeLogConfig.defaults(work.resolve("changes"), "ds").withSegmentBytes(64 * 1024);
    }

    static DatasetGraph tdb(Path work) {
        Tdb2JournalRepair.repairTornTail(work.resolve("tdb"));   // as the assembler does: a kill can tear TDB2's journal
        return TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.haltWhenParentExits();
        Path work = Path.of(args[0]);
        String turtle = Files.readString(Path.of(args[1]));
        ChangeLog log = ChangeLog.open(logConfig(work));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
        Source source = MariaDbTesting.source(dsg, "maria", turtle, work.resolve("source"), Map.of());
        source.start();
        long last = -1;
        Node label = NodeFactory.createURI("http://example.org/label");
        for ( long tick = 0 ; ; tick++ ) {
            long v = log.publishedVersion();
            if ( v != last ) {
                System.out.println("VERSION " + v);
                last = v;
            }
            if ( tick % 25 == 0 )
                System.out.println("ROWS " + Txn.calculateRead(dsg, () -> Iter.count(dsg.find(Node.ANY, Node.ANY, label, Node.ANY))));
            System.out.flush();
            Thread.sleep(20);
        }
    }
}
