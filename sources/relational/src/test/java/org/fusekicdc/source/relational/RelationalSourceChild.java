package org.fusekicdc.source.relational;

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
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.source.SourceProvider;
import org.fusekicdc.core.testing.ChildJvm;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchHeaders;

/**
 * Child JVM of a source's crash test ({@link SourceChildProcess}): a captured TDB2 dataset with a
 * source, as the server runs it, killed by the parent at random moments. Prints {@code VERSION n}
 * whenever the change log's published version changes, with {@code TRANSACTIONS n}: how many
 * database transactions the log's patches apply (a patch applies several when the source was
 * behind); and twice a second {@code ROWS n}, the rows in the dataset (its ex:label triples).
 * <p>
 * Arguments: work directory, file holding the source's Turtle description, the source's
 * {@link SourceProvider} class, the source's name.
 */
public final class RelationalSourceChild {
    private RelationalSourceChild() {}

    public static ChangeLogConfig logConfig(Path work) {
        return ChangeLogConfig.defaults(work.resolve("changes"), "ds").withSegmentBytes(64 * 1024);
    }

    public static DatasetGraph tdb(Path work) {
        Tdb2JournalRepair.repairTornTail(work.resolve("tdb"));   // as the assembler does: a kill can tear TDB2's journal
        return TDB2Factory.connectDataset(work.resolve("tdb").toString()).asDatasetGraph();
    }

    public static void main(String[] args) throws Exception {
        ChildJvm.haltWhenParentExits();
        Path work = Path.of(args[0]);
        String turtle = Files.readString(Path.of(args[1]));
        SourceProvider provider = (SourceProvider)Class.forName(args[2]).getConstructor().newInstance();
        ChangeLog log = ChangeLog.open(logConfig(work));
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(tdb(work), log, CaptureConfig.defaults(work.resolve("spill")));
        Source source = TestSources.source(provider, dsg, args[3], turtle, work.resolve("source"), Map.of());
        source.start();
        Node label = NodeFactory.createURI("http://example.org/label");
        long last = -1;
        long transactions = 0;
        for ( long tick = 0 ; ; tick++ ) {
            long v = log.publishedVersion();
            if ( v != last ) {
                for ( LogRecord r : log.readAfter(Math.max(0, last), Integer.MAX_VALUE) ) {
                    if ( r.version() > v )
                        break;
                    Node n = LogReplay.patch(r).getHeader(PatchHeaders.SOURCE_TRANSACTIONS);
                    transactions += n == null ? 1 : Long.parseLong(n.getLiteralLexicalForm());
                }
                System.out.println("VERSION " + v);
                System.out.println("TRANSACTIONS " + transactions);
                last = v;
            }
            if ( tick % 25 == 0 )
                System.out.println("ROWS " + Txn.calculateRead(dsg, () -> Iter.count(dsg.find(Node.ANY, Node.ANY, label, Node.ANY))));
            System.out.flush();
            Thread.sleep(20);
        }
    }
}
