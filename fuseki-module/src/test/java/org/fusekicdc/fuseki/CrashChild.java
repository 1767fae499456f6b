package org.fusekicdc.fuseki;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.jena.fuseki.main.FusekiServer;
import org.apache.jena.fuseki.server.DataService;
import org.apache.jena.graph.Node;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link CrashRecoveryIT}: a real Fuseki serving {@code /ds}, a captured TDB2
 * dataset, optionally with a crash ({@code Runtime.halt}) injected between the capture layer and
 * TDB2. Prints {@code PORT n} once serving and {@code HALT point version=v} just before an
 * injected crash.
 * <p>
 * Arguments: work directory, crash point ({@code none}, {@code afterAppend},
 * {@code afterStoreCommit}, {@code midWrite}), K (the crash happens on the K-th commit that has
 * a log record pending; for {@code midWrite}, in the first large write transaction after K-1
 * such commits), spill threshold.
 */
public final class CrashChild {
    /** Small segments, so rounds roll segments and recovery meets segment boundaries. */
    static final long SEGMENT_BYTES = 256 * 1024;
    /** A {@code midWrite} crash happens once a transaction has added this many quads. */
    static final int MID_WRITE_QUADS = 300;
    static final int HALT_STATUS = 137;

    private CrashChild() {}

    static Path tdbDir(Path work)   { return work.resolve("tdb"); }
    static Path logDir(Path work)   { return work.resolve("changes"); }
    static Path spillDir(Path work) { return work.resolve("spill"); }

    static ChangeLogConfig logConfig(Path work) {
        return ChangeLogConfig.defaults(logDir(work), "ds").withSegmentBytes(SEGMENT_BYTES);
    }

    static CaptureConfig captureConfig(Path work, int spillThreshold) {
        return CaptureConfig.defaults(spillDir(work)).withSpillThreshold(spillThreshold);
    }

    public static void main(String[] args) {
        Path work = Path.of(args[0]);
        String point = args[1];
        int k = Integer.parseInt(args[2]);
        int spillThreshold = Integer.parseInt(args[3]);

        ChildJvm.haltWhenParentExits();

        Tdb2JournalRepair.repairTornTail(tdbDir(work));   // as the assembler does: a kill can tear TDB2's journal

        DatasetGraph tdb = TDB2Factory.connectDataset(tdbDir(work).toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(logConfig(work));
        DatasetGraph base = "none".equals(point) ? tdb : new CrashInjector(tdb, log, point, k);
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, captureConfig(work, spillThreshold));
        DataService service = DataService.newBuilder(dsg).withStdServices(true).build();
        FusekiServer server = FusekiServer.create().port(0).loopback(true).add("/ds", service).build().start();
        System.out.println("PORT " + server.getHttpPort());
        System.out.flush();
        server.join();
    }

    /**
     * Sits between the capture layer and TDB2 and halts the JVM at a chosen point. A commit that
     * has a log record pending (head above published) is a commit of a captured write.
     */
    static final class CrashInjector extends DatasetGraphWrapper {
        private final ChangeLog log;
        private final String point;
        private final int k;
        private final AtomicInteger loggedCommits = new AtomicInteger();
        private int txnAdds;   // only touched by the writer

        CrashInjector(DatasetGraph base, ChangeLog log, String point, int k) {
            super(base);
            this.log = log;
            this.point = point;
            this.k = k;
            if ( !point.equals("afterAppend") && !point.equals("afterStoreCommit") && !point.equals("midWrite") )
                throw new IllegalArgumentException("crash point " + point);
        }

        private void halt(String where) {
            System.out.println("HALT " + where + " version=" + log.headVersion());
            System.out.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            super.add(g, s, p, o);
            if ( point.equals("midWrite") && ++txnAdds == MID_WRITE_QUADS && loggedCommits.get() >= k - 1 )
                halt("midWrite");
        }

        @Override
        public void add(Quad quad) {
            add(quad.getGraph(), quad.getSubject(), quad.getPredicate(), quad.getObject());
        }

        @Override
        public void commit() {
            boolean logged = isInTransaction() && transactionMode() == ReadWrite.WRITE && log.headVersion() > log.publishedVersion();
            int n = logged ? loggedCommits.incrementAndGet() : 0;
            txnAdds = 0;
            if ( n == k && point.equals("afterAppend") )
                halt("afterAppend");
            super.commit();
            if ( n == k && point.equals("afterStoreCommit") )
                halt("afterStoreCommit");
        }

        @Override
        public void abort() {
            txnAdds = 0;
            super.abort();
        }

        @Override
        public void end() {
            txnAdds = 0;
            super.end();
        }
    }
}
