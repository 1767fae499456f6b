package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

import org.fusekicdc.core.CdcException;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.snapshot.Snapshot;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a snapshot of the leader into a follower's dataset ({@code cdc:snapshotUrl}): at start,
 * to finish a load a crash interrupted or to fill an empty follower, and later to resynchronise
 * it. Retries while the leader cannot be reached.
 */
final class SnapshotBootstrap {
    // The follower's logger: log settings that name it keep covering these messages.
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final FollowerConfig config;
    private final Path workDir;
    private final FollowerStatusReporter status;
    private final RetryBackoff backoffs;
    private final BooleanSupplier running;

    /** @param running whether the follower runs (not closed, not halted) */
    SnapshotBootstrap(CapturingDatasetGraph dsg, FollowerConfig config, Path workDir, FollowerStatusReporter status, RetryBackoff backoffs,
                      BooleanSupplier running) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.config = config;
        this.workDir = workDir;
        this.status = status;
        this.backoffs = backoffs;
        this.running = running;
    }

    /** At start: finish a snapshot load a crash interrupted; load the leader's snapshot into an empty follower that has its address. */
    void bootstrap() throws HaltException, InterruptedException {
        try {
            Snapshot.finishInterruptedLoad(dsg);
        } catch (CdcException ex) {
            throw new HaltException(ex.getMessage());
        }
        if ( log.headVersion() == 0 && config.snapshotUrl() != null )
            load(false);
    }

    /** Fetch the leader's snapshot and load it, retrying while the leader cannot be reached. */
    void load(boolean replaceHistory) throws HaltException, InterruptedException {
        status.state(FollowerState.BOOTSTRAPPING);
        Duration backoff = config.initialBackoff();
        while ( running.getAsBoolean() ) {
            Path file = workDir.resolve("snapshot-" + System.currentTimeMillis() + ".rdfp");
            try {
                Files.createDirectories(workDir);
                SnapshotDownload.fetch(config, file);
                Snapshot.SnapshotHeader header = Snapshot.readHeader(file);
                if ( header.version() > 0 )
                    Snapshot.load(dsg, file, replaceHistory);
                else if ( replaceHistory )
                    throw new HaltException("the leader's snapshot is of version 0 (an empty leader that was never written): it cannot replace this"
                                            + " follower's history. Rebuild the follower (see docs/replicas.md).");
                LOG.info("Dataset '{}': loaded the leader's snapshot of version {} ({})", dsg.datasetName(), header.version(), config.snapshotUrl());
                status.lastError(null);
                return;
            } catch (CdcException ex) {
                throw new HaltException("cannot load the snapshot from " + config.snapshotUrl() + ": " + ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                String error = "fetching the snapshot from " + config.snapshotUrl() + ": " + Follower.describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                status.lastError(error);
                LOG.warn("Dataset '{}': {}", dsg.datasetName(), error);
                if ( !backoffs.sleep(backoff) )
                    throw new InterruptedException();
                backoff = backoffs.next(backoff);
            } finally {
                // Kept while a load is pending: a restart finishes it from this file.
                ChangeLog.Rebase pending = log.pendingRebase();
                if ( pending == null || !pending.snapshotFile().equals(file.toAbsolutePath()) )
                    deleteQuietly(file);
            }
        }
        throw new InterruptedException();
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ex) {
            LOG.debug("removing {}: {}", file, ex.toString());
        }
    }
}
