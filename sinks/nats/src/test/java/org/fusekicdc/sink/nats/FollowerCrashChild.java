package org.fusekicdc.sink.nats;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphWrapper;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.tdb2.TDB2Factory;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.tdb2.Tdb2JournalRepair;
import org.fusekicdc.core.internal.follow.Follower;
import org.fusekicdc.core.internal.follow.FollowerConfig;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.testing.ChildJvm;

/**
 * Child JVM of {@link FollowerGroupKillIT}: a follower (TDB2, capture) of a JetStream subject,
 * with a crash ({@code Runtime.halt}) injected between the capture layer and TDB2 while it
 * applies a group of the leader's versions in one transaction. Prints {@code HALT point
 * head=h published=p} just before the crash, or {@code DONE} once the follower has applied
 * version {@code target} (then exits normally).
 * <p>
 * Arguments: work directory, NATS URL, subject, stream, crash point ({@code none},
 * {@code midGroup}: while applying, once {@code k} of the group's records are in the log;
 * {@code beforeStoreCommit}: the group's records all in the log, the store not committed;
 * {@code afterStoreCommit}: the store committed, the records not yet published), k, target.
 */
public final class FollowerCrashChild {
    static final int HALT_STATUS = 137;

    private FollowerCrashChild() {}

    static Path tdbDir(Path work)  { return work.resolve("tdb"); }
    static Path logDir(Path work)  { return work.resolve("changes"); }

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        String url = args[1], subject = args[2], stream = args[3], point = args[4];
        int k = Integer.parseInt(args[5]);
        long target = Long.parseLong(args[6]);
        ChildJvm.haltWhenParentExits();

        Tdb2JournalRepair.repairTornTail(tdbDir(work));
        DatasetGraph tdb = TDB2Factory.connectDataset(tdbDir(work).toString()).asDatasetGraph();
        ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(logDir(work), "ds"));
        DatasetGraph base = point.equals("none") ? tdb : new GroupCrash(tdb, log, point, k);
        CapturingDatasetGraph dsg = CapturingDatasetGraph.create(base, log, CaptureConfig.defaults(work.resolve("spill")));
        var reader = new NatsSubjectReaderProvider().create("ds", new OptionValues("follow", Map.of("url", url, "subject", subject, "stream", stream)),
                                                            work.resolve("follower"));
        FollowerConfig config = new FollowerConfig("ds", FollowerConfig.OnBadMessage.HALT, FollowerConfig.OnGap.HALT, null, null, null, null,
                                                   Duration.ofMillis(100), Duration.ofSeconds(1));
        Follower follower = new Follower(dsg, reader, config, work.resolve("follower"));
        follower.start();
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while ( log.publishedVersion() < target ) {
            if ( System.nanoTime() > deadline ) {
                System.out.println("TIMEOUT at version " + log.publishedVersion() + ": " + follower.status());
                System.exit(2);
            }
            log.awaitPublishedAfter(log.publishedVersion(), 200);
        }
        follower.close();
        dsg.close();
        System.out.println("DONE");
        System.out.flush();
        System.exit(0);
    }

    /** Sits between the capture layer and TDB2 and halts the JVM at the chosen point of a group (two or more records pending). */
    private static final class GroupCrash extends DatasetGraphWrapper {
        private final ChangeLog log;
        private final String point;
        private final int k;

        GroupCrash(DatasetGraph base, ChangeLog log, String point, int k) {
            super(base);
            this.log = log;
            this.point = point;
            this.k = k;
            if ( !point.equals("midGroup") && !point.equals("beforeStoreCommit") && !point.equals("afterStoreCommit") )
                throw new IllegalArgumentException("crash point " + point);
        }

        private long pending() {
            return log.headVersion() - log.publishedVersion();
        }

        private void halt(String where) {
            System.out.println("HALT " + where + " head=" + log.headVersion() + " published=" + log.publishedVersion());
            System.out.flush();
            Runtime.getRuntime().halt(HALT_STATUS);
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            if ( point.equals("midGroup") && pending() >= k )
                halt("midGroup");
            super.add(g, s, p, o);
        }

        @Override
        public void add(Quad quad) {
            add(quad.getGraph(), quad.getSubject(), quad.getPredicate(), quad.getObject());
        }

        @Override
        public void commit() {
            boolean group = isInTransaction() && transactionMode() == ReadWrite.WRITE && pending() >= 2;
            if ( group && point.equals("beforeStoreCommit") )
                halt("beforeStoreCommit");
            super.commit();
            if ( group && point.equals("afterStoreCommit") )
                halt("afterStoreCommit");
        }
    }
}
