package org.fusekicdc.source.postgres;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.core.testing.ChildJvm;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchHeaders;

/**
 * Child JVM of {@link SourceCrashIT}: a captured TDB2 dataset with a PostgreSQL source, as the
 * server runs it, killed by the parent at random moments. Prints {@code VERSION n} whenever the
 * change log's published version changes, and {@code TRANSACTIONS n}: how many database
 * transactions the log's patches apply (a patch applies several when the source was behind).
 * <p>
 * Arguments: work directory, file holding the source's Turtle description.
 */
public final class SourceChild {
    private SourceChild() {}

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
        Source source = PgTesting.source(dsg, "pg", turtle, work.resolve("source"), Map.of());
        source.start();
        long last = -1;
        long transactions = 0;
        while ( true ) {
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
                System.out.flush();
                last = v;
            }
            Thread.sleep(20);
        }
    }
}
