package org.fusekicdc.core.testing.contract;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.follow.PromotionRecord;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.fusekicdc.core.wire.PatchMessages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Failover on one topic (or subject) of a broker, with two servers' logs ("old", the old leader,
 * and "new", the promoted follower) and their sink runners, each acknowledging writes on the
 * topic. A subclass per broker gives the runners and reads the topic back, and adds the cases
 * its fencing mechanism has. The case every broker shares: the promoted follower's promotion
 * record fences an old leader restarted with its old configuration before the new leader has
 * taken any write.
 */
public abstract class FencingContract {
    /** How long one step (a publish, a fencing) may take. */
    protected static final Duration STEP = Duration.ofSeconds(60);

    @TempDir
    protected Path work;

    /** A patch as the topic holds it. */
    public record Published(Map<String, String> headers, byte[] body) {}

    /** A runner of {@code server}'s sink on this test's topic (not started). */
    protected abstract SinkRunner runner(ChangeLog log, String server);

    /** Every patch on this test's topic, in order. */
    protected abstract List<Published> published() throws Exception;

    /** The old leader ("old") and the promoted follower ("new"): each its log and its captured dataset. */
    protected ChangeLog oldLog, newLog;
    protected CapturingDatasetGraph oldLeader, promoted;
    /** What the old leader's sink said when it found itself fenced, once it has. */
    protected final AtomicReference<String> oldFenced = new AtomicReference<>();

    @BeforeEach
    void openServers() {
        oldLog = log("old");
        newLog = log("new");
        oldLeader = captured(oldLog, "old");
        promoted = captured(newLog, "new");
    }

    @AfterEach
    void closeServers() {
        if ( oldLog != null )
            oldLog.close();
        if ( newLog != null )
            newLog.close();
    }

    @Test
    void anOldLeaderRestartedRightAfterThePromotionBeforeAnyNewWriteIsFenced() throws Exception {
        publishTwoAndFollow();
        // Promotion: the promotion record, published by the sink that starts with it; no write yet.
        assertEquals(3, PromotionRecord.commit(promoted).version());
        try (SinkRunner newRunner = startNewLeadersSink()) {
            await("the new leader publishes its promotion record", STEP, () -> newRunner.status().cursor() == 3);
        }
        // The old leader comes back with its old configuration: the topic no longer ends with its own last patch.
        try (SinkRunner restarted = restartOldLeadersSinkFencedAtVersion3()) {
            write(oldLeader, "zombie");
            assertEquals(SinkState.PAUSED, restarted.status().state());
            assertEquals(2, restarted.status().cursor(), "the old leader published nothing after the promotion");
        }
        List<Published> patches = assertTopicHolds(3);
        String third = new String(patches.get(2).body(), StandardCharsets.UTF_8);
        assertTrue(third.contains("H promoted \"true\"") && !third.contains("\nA "), "version 3 is the empty promotion record: " + third);
    }

    /** The old leader's sink, started, telling {@link #oldFenced} when it finds itself fenced. */
    protected SinkRunner startOldLeadersSink() {
        SinkRunner r = runner(oldLog, "old");
        r.onFenced(oldFenced::set);
        r.start();
        return r;
    }

    /** The promoted follower's sink, started (as the promotion starts the dormant sink). */
    protected SinkRunner startNewLeadersSink() {
        SinkRunner r = runner(newLog, "new");
        r.start();
        return r;
    }

    /**
     * The old leader's sink started again with its old configuration, once it has found itself
     * fenced by the new leader's version 3 on the topic.
     */
    protected SinkRunner restartOldLeadersSinkFencedAtVersion3() throws InterruptedException {
        SinkRunner restarted = startOldLeadersSink();
        try {
            await("the restarted old leader is fenced", STEP, () -> oldFenced.get() != null);
            assertTrue(oldFenced.get().contains("version 3"), oldFenced.get());
            return restarted;
        } catch (Throwable ex) {
            restarted.close();
            throw ex;
        }
    }

    /** The old leader writes and publishes versions 1-2, then stops its sink; the follower applies them. */
    protected void publishTwoAndFollow() throws InterruptedException {
        try (SinkRunner oldRunner = runner(oldLog, "old")) {
            oldRunner.start();
            write(oldLeader, "s1");
            write(oldLeader, "s2");
            await("the old leader publishes versions 1-2", STEP, () -> oldRunner.status().cursor() == 2);
        }
        follow();
    }

    /** The follower applies every version of the old leader's log so far, keeping each patch's id. */
    protected void follow() {
        LogReplay.follow(oldLog, promoted);
        assertEquals(oldLog.headVersion(), newLog.headVersion());
    }

    /** The topic holds exactly the new leader's history, versions 1..last, once each; returns its patches. */
    protected List<Published> assertTopicHolds(long last) throws Exception {
        List<Published> patches = published();
        assertEquals(last, patches.size(), "one patch per version, no write of the old leader's after the promotion among them: "
                                           + patches.stream().map(Published::headers).toList());
        for ( int i = 0 ; i < patches.size() ; i++ ) {
            Map<String, String> h = patches.get(i).headers();
            assertEquals(String.valueOf(i + 1), h.get(PatchMessages.VERSION));
            assertEquals(newLog.idOf(i + 1).toString(), h.get(PatchMessages.ID), "version " + (i + 1) + " is the new leader's patch");
        }
        return patches;
    }

    protected static void write(CapturingDatasetGraph dsg, String subjectName) {
        Quad q = Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://example/" + subjectName), NodeFactory.createURI("http://example/p"),
                             NodeFactory.createLiteralString(subjectName));
        Txn.executeWrite(dsg, () -> dsg.add(q));
    }

    private CapturingDatasetGraph captured(ChangeLog log, String server) {
        return CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve(server + "-spill")));
    }

    private ChangeLog log(String server) {
        return ChangeLog.open(ChangeLogConfig.defaults(work.resolve(server + "-log"), "ds").withFsync(false));
    }
}
