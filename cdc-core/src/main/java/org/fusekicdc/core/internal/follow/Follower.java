package org.fusekicdc.core.internal.follow;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Optional;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReader.Incoming;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a captured dataset a copy of a leader's: reads the leader's patches from a
 * {@link TopicReader} and applies each in one transaction that keeps the leader's version and id
 * ({@link LeaderPatchApplier}). A follower that is behind (patches already waiting in the reader)
 * applies up to {@link FollowerConfig#maxGroupVersions} of them in one store transaction, each
 * still its own record in the log with the leader's version, id and previous id: one store
 * commit for many versions is what lets a follower catch up, and keeps a short burst from
 * queueing behind one commit per version.
 * <p>
 * Exactly once: the last applied version is this dataset's change-log head, made durable with
 * the data by the capture layer's commit order and start-up recovery, and reading restarts after
 * it. Each patch must be the head's successor (version head + 1, {@code prev} = head's id) and
 * must change the data exactly as it says; otherwise the follower halts before changing
 * anything, with the cause and the fix in its status. A follower that starts empty can load a
 * snapshot of the leader first and continue from the snapshot's version.
 * <p>
 * Local writes are refused while the follower runs: the dataset only changes through its leader.
 * <p>
 * This class runs the follower's loop: it reads, retries, halts or resynchronises. The messages
 * read are applied by {@link IncomingPatches}, snapshots loaded by {@link SnapshotBootstrap}, and
 * what the follower reports of itself is kept by {@link FollowerStatusReporter}.
 */
public final class Follower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    private static final Duration POLL = Duration.ofMillis(500);

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final TopicReader reader;
    private final FollowerConfig config;
    private volatile boolean running;
    private Thread thread;

    private final FollowerStatusReporter status;
    private final RetryBackoff backoffs;
    private final IncomingPatches patches;
    private final SnapshotBootstrap snapshots;

    public Follower(CapturingDatasetGraph dsg, TopicReader reader, FollowerConfig config, Path workDir) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.reader = reader;
        this.config = config;
        this.status = new FollowerStatusReporter(dsg.datasetName(), log, reader, () -> running);
        this.backoffs = new RetryBackoff(log, config, () -> running);
        this.patches = new IncomingPatches(dsg, reader, config, status, () -> running);
        this.snapshots = new SnapshotBootstrap(dsg, config, workDir, status, backoffs, () -> running);
        dsg.setFollowerOf("Dataset '" + dsg.datasetName() + "' is a read-only follower of " + reader.describe() + " (leader dataset '"
                          + config.leaderDataset() + "'): it changes only through its leader. Send writes to the leader"
                          + (config.leaderUrl() == null ? "." : " at " + config.leaderUrl() + "."));
    }

    /** Start following on a thread of its own. */
    public synchronized void start() {
        if ( thread != null )
            return;
        running = true;
        thread = Thread.ofPlatform().daemon().name("fuseki-cdc-follower-" + dsg.datasetName()).start(this::run);
    }

    public FollowerStatus status() {
        return status.status();
    }

    public String dataset() {
        return dsg.datasetName();
    }

    /**
     * Stop following. The thread finishes the patch it is applying: an interrupt would close the
     * store's and the log's files under it (Java closes a FileChannel whose thread is
     * interrupted). Only a thread still busy after 10 s (a long snapshot download) is interrupted.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            running = false;
            t = thread;
        }
        backoffs.stop();
        if ( t != null ) {
            try {
                t.join(10_000);
                if ( t.isAlive() ) {
                    t.interrupt();
                    t.join(10_000);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        reader.close();
        if ( status.state() != FollowerState.HALTED )
            status.state(FollowerState.STOPPED);
    }

    // ---- The loop

    private void run() {
        try {
            snapshots.bootstrap();
        } catch (HaltException ex) {
            halt(ex.getMessage());
            return;
        } catch (InterruptedException ex) {
            return;
        }
        Duration backoff = config.initialBackoff();
        InstantSource clock = log.config().clock();
        TopicContact contact = status.contact();
        contact.following(clock.millis());
        while ( running ) {
            try {
                reader.open(log.headVersion());
                status.state(FollowerState.FOLLOWING);
                LOG.info("Dataset '{}': following {} after version {}", dsg.datasetName(), reader.describe(), log.headVersion());
                while ( running ) {
                    Optional<Incoming> in = reader.poll(POLL);
                    if ( in.isEmpty() ) {
                        if ( reader.confirmedAtEnd() )
                            contact.heard(clock.millis());
                        status.sayIfCutOff();
                        continue;
                    }
                    contact.heard(clock.millis());
                    status.sayIfCutOff();
                    contact.applying();
                    try {
                        patches.handleWithWaiting(in.get());
                    } finally {
                        contact.waiting(clock.millis());
                    }
                    backoff = config.initialBackoff();
                    status.lastError(null);
                }
            } catch (ResyncNeeded ex) {
                reader.close();
                LOG.warn("Dataset '{}': follower at version {} resynchronises from a snapshot of the leader: {}", dsg.datasetName(), log.headVersion(),
                         ex.getMessage());
                status.lastError("resynchronised from a snapshot: " + ex.getMessage());
                try {
                    if ( !backoffs.sleep(backoff) )
                        return;
                    backoff = backoffs.next(backoff);
                    snapshots.load(true);
                    contact.following(clock.millis());
                } catch (HaltException halt) {
                    halt(halt.getMessage());
                    return;
                } catch (InterruptedException interrupted) {
                    return;
                }
            } catch (HaltException ex) {
                halt(ex.getMessage());
                return;
            } catch (InterruptedException ex) {
                return;
            } catch (Exception ex) {
                if ( !running )
                    return;
                String error = describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                status.lastError(error);
                LOG.warn("Dataset '{}': following {} at version {}: {}", dsg.datasetName(), reader.describe(), log.headVersion(), error);
                reader.close();
                if ( !backoffs.sleep(backoff) )
                    return;
                status.sayIfCutOff();
                backoff = backoffs.next(backoff);
            }
        }
    }

    private void halt(String reason) {
        status.lastError(reason);
        status.state(FollowerState.HALTED);
        running = false;
        reader.close();
        LOG.error("Dataset '{}': follower halted at version {}: {}", dsg.datasetName(), log.headVersion(), reason);
    }

    /** An exception's class and message, for the follower's last error. */
    static String describe(Throwable ex) {
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
