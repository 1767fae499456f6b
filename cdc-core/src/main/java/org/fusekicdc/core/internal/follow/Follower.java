package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.apache.jena.query.TxnType;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.ReplicaDivergedException;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReader.ForeignMessage;
import org.fusekicdc.core.topic.TopicReader.Incoming;
import org.fusekicdc.core.internal.follow.LeaderPatchApplier.BadPatchException;
import org.fusekicdc.core.internal.follow.LeaderPatchApplier.StoreFailure;
import org.fusekicdc.core.topic.TopicReader.PatchMessage;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.internal.snapshot.Snapshot;
import org.fusekicdc.core.internal.time.ClockDeadline;
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
 */
public final class Follower implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /** Most patch bytes applied in one store transaction: bounds the transaction and start-up recovery of an interrupted one. */
    private static final long MAX_GROUP_BYTES = 4L * 1024 * 1024;

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final TopicReader reader;
    private final FollowerConfig config;
    private final Path workDir;
    private volatile boolean running;
    // Counted down by close: wakes a follower waiting out a backoff.
    private final CountDownLatch stopped = new CountDownLatch(1);
    private Thread thread;

    private volatile FollowerState state = FollowerState.STARTING;
    private volatile long leaderVersion;
    private final UnappliedVersions unapplied = new UnappliedVersions();
    private final TopicContact contact = new TopicContact();
    // Whether the loop has logged that it is cut off from its topic: logged once, and once when it hears again.
    private boolean saidCutOff;
    private volatile String lastError;

    public Follower(CapturingDatasetGraph dsg, TopicReader reader, FollowerConfig config, Path workDir) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.reader = reader;
        this.config = config;
        this.workDir = workDir;
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
        // Published, not head: a group's records are in the log before the store commits them.
        long applied = log.publishedVersion();
        long seen = Math.max(leaderVersion, applied);
        long now = log.config().clock().millis();
        long lag = unapplied.lagMillis(applied, now);
        long heard = contact.heardMillis();
        Instant lastHeard = heard < 0 ? null : Instant.ofEpochMilli(heard);
        FollowerState s = state;
        if ( !cutOff(s, now) )
            return new FollowerStatus(s, reader.describe(), applied, seen, seen - applied, lag, lastError, lastHeard, null);
        Instant since = Instant.ofEpochMilli(contact.lastHeardOrStartMillis());
        return new FollowerStatus(FollowerState.UNREACHABLE, reader.describe(), applied, seen, seen - applied, Math.max(lag, contact.silenceMillis(now)),
                                  cutOffMessage(since, now), lastHeard, since);
    }

    /** Waiting on its topic (first open included) and not hearing from it. */
    private boolean cutOff(FollowerState s, long now) {
        return (s == FollowerState.FOLLOWING || s == FollowerState.STARTING) && running && contact.cutOff(now);
    }

    private String cutOffMessage(Instant since, long now) {
        String error = lastError;
        return "cut off from " + reader.describe() + " for " + Duration.ofMillis(now - since.toEpochMilli()).toSeconds() + " s"
               + (contact.heardMillis() < 0 ? " (never heard from it since following started at " + since + ")" : " (last heard at " + since + ")")
               + ": " + (error != null ? error : "reads return nothing and the broker does not confirm the end of the topic")
               + ". Check that the broker is running and reachable from this server at that address (network, firewall, DNS, TLS and credentials);"
               + " the follower keeps retrying and catches up once it is.";
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
        stopped.countDown();
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
        if ( state != FollowerState.HALTED )
            state = FollowerState.STOPPED;
    }

    // ---- The loop

    private void run() {
        try {
            bootstrap();
        } catch (HaltException ex) {
            halt(ex.getMessage());
            return;
        } catch (InterruptedException ex) {
            return;
        }
        Duration backoff = config.initialBackoff();
        InstantSource clock = log.config().clock();
        contact.following(clock.millis());
        while ( running ) {
            try {
                reader.open(log.headVersion());
                state = FollowerState.FOLLOWING;
                LOG.info("Dataset '{}': following {} after version {}", dsg.datasetName(), reader.describe(), log.headVersion());
                while ( running ) {
                    Optional<Incoming> in = reader.poll(POLL);
                    if ( in.isEmpty() ) {
                        if ( reader.confirmedAtEnd() )
                            contact.heard(clock.millis());
                        sayIfCutOff();
                        continue;
                    }
                    contact.heard(clock.millis());
                    sayIfCutOff();
                    contact.applying();
                    try {
                        handleWithWaiting(in.get());
                    } finally {
                        contact.waiting(clock.millis());
                    }
                    backoff = config.initialBackoff();
                    lastError = null;
                }
            } catch (ResyncNeeded ex) {
                reader.close();
                LOG.warn("Dataset '{}': follower at version {} resynchronises from a snapshot of the leader: {}", dsg.datasetName(), log.headVersion(),
                         ex.getMessage());
                lastError = "resynchronised from a snapshot: " + ex.getMessage();
                try {
                    if ( !sleep(backoff) )
                        return;
                    backoff = next(backoff);
                    loadSnapshot(true);
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
                lastError = describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                LOG.warn("Dataset '{}': following {} at version {}: {}", dsg.datasetName(), reader.describe(), log.headVersion(), lastError);
                reader.close();
                if ( !sleep(backoff) )
                    return;
                sayIfCutOff();
                backoff = next(backoff);
            }
        }
    }

    /** Log when the follower becomes cut off from its topic, and when it hears from it again. */
    private void sayIfCutOff() {
        FollowerStatus s = status();
        boolean cut = s.state() == FollowerState.UNREACHABLE;
        if ( cut && !saidCutOff )
            LOG.warn("Dataset '{}': follower at version {}: {}", dsg.datasetName(), s.appliedVersion(), s.lastError());
        else if ( !cut && saidCutOff )
            LOG.info("Dataset '{}': follower at version {} hears from {} again", dsg.datasetName(), s.appliedVersion(), reader.describe());
        saidCutOff = cut;
    }

    private void halt(String reason) {
        lastError = reason;
        state = FollowerState.HALTED;
        running = false;
        reader.close();
        LOG.error("Dataset '{}': follower halted at version {}: {}", dsg.datasetName(), log.headVersion(), reason);
    }

    /**
     * Handle {@code first} and the patches already waiting after it: two or more go into one
     * store transaction (see {@link #applyGroup}); a message that is not a patch ends the group.
     */
    private void handleWithWaiting(Incoming first) throws Exception {
        if ( config.maxGroupVersions() == 1 || !(first instanceof PatchMessage m0) ) {
            handle(first);
            return;
        }
        List<PatchMessage> group = new ArrayList<>();
        group.add(m0);
        long bytes = size(m0.patch());
        Incoming after = null;
        try {
            while ( group.size() < config.maxGroupVersions() && bytes < MAX_GROUP_BYTES && running ) {
                Optional<Incoming> next = reader.poll(Duration.ZERO);
                if ( next.isEmpty() )
                    break;
                if ( !(next.get() instanceof PatchMessage m) ) {
                    after = next.get();
                    break;
                }
                group.add(m);
                bytes += size(m.patch());
            }
            if ( group.size() == 1 )
                handle(m0);
            else
                applyGroup(group);
        } finally {
            group.forEach(m -> m.patch().close());
        }
        if ( after != null )
            handle(after);
    }

    private static long size(Patch p) throws IOException {
        return p.bytes() != null ? p.bytes().length : Files.size(p.file());
    }

    /**
     * Apply consecutive patches in one store transaction, each logged as its own record
     * ({@link CapturingDatasetGraph#beginGroup}). Anything unusual (a duplicate past the first,
     * a gap, a fork, a bad header or patch, a store failure) aborts the transaction, which
     * removes the group's records, and the patches are applied one at a time instead, where
     * each case has its own handling.
     */
    private void applyGroup(List<PatchMessage> group) throws HaltException, IOException {
        List<PatchMessage> todo = new ArrayList<>(group.size());
        List<RecordMeta> metas = new ArrayList<>(group.size());
        long expected = log.headVersion() + 1;
        UUID prev = log.headId();
        for ( PatchMessage m : group ) {
            if ( metas.isEmpty() && m.patch().version() < expected )
                continue;   // applied before a restart; the reader re-read it
            RecordMeta meta = groupIdentity(m.patch(), expected, prev);
            if ( meta == null ) {
                applyOneByOne(group);
                return;
            }
            todo.add(m);
            metas.add(meta);
            expected++;
            prev = meta.id();
        }
        if ( todo.isEmpty() )
            return;
        RecordMeta last = metas.get(metas.size() - 1);
        leaderVersion = Math.max(leaderVersion, last.version());
        metas.forEach(meta -> unapplied.seen(meta.version(), meta.timestamp()));
        boolean committed = false;
        dsg.begin(TxnType.WRITE);
        try {
            dsg.beginGroup(metas.get(0), last.version());
            for ( int i = 0 ; i < todo.size() ; i++ )
                LeaderPatchApplier.applyInGroup(dsg, todo.get(i).patch(), metas.get(i));
            dsg.commit();
            committed = true;
        } catch (RuntimeException ex) {
            // end() without commit or abort would throw, and the versions would never be tried one at a time.
            if ( dsg.isInTransaction() )
                dsg.abort();
            LOG.debug("Dataset '{}': versions {}..{} could not be applied in one transaction ({}); applying them one at a time", dsg.datasetName(),
                      metas.get(0).version(), last.version(), ex.toString());
        } finally {
            dsg.end();
        }
        if ( !committed ) {
            applyOneByOne(todo);
            return;
        }
        unapplied.appliedUpTo(log.publishedVersion());
        LOG.debug("Dataset '{}': applied the leader's versions {}..{} in one transaction from {} {}", dsg.datasetName(), metas.get(0).version(),
                  last.version(), reader.describe(), todo.get(todo.size() - 1).position());
    }

    private void applyOneByOne(List<PatchMessage> patches) throws HaltException, IOException {
        for ( PatchMessage m : patches )
            apply(m.patch(), m.position());
    }

    /** The leader's identity of a patch that continues a group at {@code expected} after {@code prev}; null if it does not, or cannot be read. */
    private RecordMeta groupIdentity(Patch p, long expected, UUID prev) {
        Map<String, String> h = p.headers();
        String dataset = h.get(PatchMessages.DATASET);
        if ( p.version() != expected || (dataset != null && !dataset.equals(config.leaderDataset())) || h.get(PatchMessages.ID) == null )
            return null;
        try {
            RecordMeta meta = identity(h, p.version());
            return Objects.equals(meta.prevId(), prev) ? meta : null;
        } catch (RuntimeException ex) {
            return null;
        }
    }

    private RecordMeta identity(Map<String, String> h, long version) {
        return new RecordMeta(version, UUID.fromString(required(h, PatchMessages.ID)),
                              h.get(PatchMessages.PREV) == null ? null : UUID.fromString(h.get(PatchMessages.PREV)),
                              h.containsKey(PatchMessages.TIMESTAMP) ? Instant.parse(h.get(PatchMessages.TIMESTAMP)).toEpochMilli()
                                                                      : log.config().clock().millis());
    }

    private void handle(Incoming in) throws HaltException, IOException {
        switch (in) {
            case ForeignMessage f -> badMessage(f.position(), f.headers(), f.value(), f.reason());
            case PatchMessage m -> {
                try (Patch p = m.patch()) {
                    apply(p, m.position());
                }
            }
        }
    }

    private void apply(Patch p, String position) throws HaltException, IOException {
        Map<String, String> h = p.headers();
        long version = p.version();
        String where = reader.describe() + " " + position;
        String dataset = h.get(PatchMessages.DATASET);
        if ( dataset != null && !dataset.equals(config.leaderDataset()) ) {
            badMessage(position, h, bytesOf(p), "a patch of dataset '" + dataset + "', not of the leader's dataset '" + config.leaderDataset() + "'");
            return;
        }
        leaderVersion = Math.max(leaderVersion, version);
        long head = log.headVersion();
        if ( version <= head )
            return;   // applied before a restart; the reader re-read it
        if ( version > head + 1 )
            throw cannotContinue("patch version " + version + " arrived (" + where + ") but this follower is at version " + head
                                    + ": versions " + (head + 1) + ".." + (version - 1) + " are missing from the topic (removed by its"
                                    + " retention, or set aside by the leader's sink). Rebuild this follower from a snapshot of the leader"
                                    + " (see docs/replicas.md).");
        RecordMeta meta;
        try {
            meta = identity(h, version);
        } catch (RuntimeException ex) {
            badMessage(position, h, bytesOf(p), "unreadable patch headers: " + ex.getMessage());
            return;
        }
        if ( !Objects.equals(meta.prevId(), log.headId()) )
            throw cannotContinue("patch version " + version + " (" + where + ") follows patch " + meta.prevId() + " but this follower's version "
                                    + head + " is patch " + log.headId() + ": the leader's history and this follower's have forked"
                                    + " (the leader was restored from a backup, or this follower followed another leader)."
                                    + " Rebuild this follower from a snapshot of the leader (see docs/replicas.md).");
        unapplied.seen(version, meta.timestamp());
        try {
            LeaderPatchApplier.apply(dsg, p, meta);
        } catch (BadPatchException ex) {
            badMessage(position, h, bytesOf(p), ex.getMessage());
            return;
        } catch (ReplicaDivergedException | ChangeLogException ex) {
            if ( ex instanceof ChangeLogException && ex.getCause() instanceof IOException )
                throw ex;   // the log could not be written (disk full): retried
            throw cannotContinue(ex.getMessage() + " (" + where + ")");
        } catch (StoreFailure ex) {
            throw ex.getCause();
        }
        unapplied.appliedUpTo(log.publishedVersion());
        LOG.debug("Dataset '{}': applied the leader's version {} (patch {}) from {}", dsg.datasetName(), version, meta.id(), where);
    }

    /** A gap, a fork or diverged data: halt, or resynchronise if so configured. */
    private HaltException cannotContinue(String reason) {
        return config.onGap() == FollowerConfig.OnGap.RESYNC ? new ResyncNeeded(reason) : new HaltException(reason);
    }

    private void badMessage(String position, Map<String, String> headers, byte[] value, String reason) throws HaltException, IOException {
        String where = reader.describe() + " " + position;
        if ( config.onBadMessage() == FollowerConfig.OnBadMessage.HALT )
            throw new HaltException("bad message at " + where + ": " + reason + ". Remove it from the topic, or set cdc:onBadMessage \"deadLetter\""
                                    + " to set such messages aside.");
        Path file = DeadLetters.write(config.deadLetterDirectory(), position, headers, value, reason, where);
        LOG.warn("Dataset '{}': bad message at {} set aside in {}: {}", dsg.datasetName(), where, file, reason);
    }

    private static byte[] bytesOf(Patch p) throws IOException {
        try (InputStream in = p.open()) {
            return in.readAllBytes();
        }
    }

    private static String required(Map<String, String> h, String name) {
        String v = h.get(name);
        if ( v == null )
            throw new IllegalArgumentException("no " + name + " header");
        return v;
    }

    // ---- Snapshot bootstrap

    private void bootstrap() throws HaltException, InterruptedException {
        try {
            Snapshot.finishInterruptedLoad(dsg);
        } catch (org.fusekicdc.core.CdcException ex) {
            throw new HaltException(ex.getMessage());
        }
        if ( log.headVersion() == 0 && config.snapshotUrl() != null )
            loadSnapshot(false);
    }

    /** Fetch the leader's snapshot and load it, retrying while the leader cannot be reached. */
    private void loadSnapshot(boolean replaceHistory) throws HaltException, InterruptedException {
        state = FollowerState.BOOTSTRAPPING;
        Duration backoff = config.initialBackoff();
        while ( running ) {
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
                lastError = null;
                return;
            } catch (org.fusekicdc.core.CdcException ex) {
                throw new HaltException("cannot load the snapshot from " + config.snapshotUrl() + ": " + ex.getMessage());
            } catch (IOException | RuntimeException ex) {
                lastError = "fetching the snapshot from " + config.snapshotUrl() + ": " + describe(ex) + "; retrying in " + backoff.toMillis() + " ms";
                LOG.warn("Dataset '{}': {}", dsg.datasetName(), lastError);
                if ( !sleep(backoff) )
                    throw new InterruptedException();
                backoff = next(backoff);
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

    // ---- Helpers

    /** Wait for the backoff, with jitter, by the log's clock; false if the follower was closed meanwhile. */
    private boolean sleep(Duration backoff) {
        long jittered = (long)(backoff.toMillis() * (0.5 + ThreadLocalRandom.current().nextDouble() / 2));
        InstantSource clock = log.config().clock();
        long until = clock.millis() + jittered;
        try {
            long left;
            while ( (left = ClockDeadline.nextWait(clock, until)) > 0 ) {
                if ( stopped.await(left, TimeUnit.MILLISECONDS) )
                    return false;
            }
            return running;
        } catch (InterruptedException ex) {
            return false;
        }
    }

    private Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(config.maxBackoff()) > 0 ? config.maxBackoff() : doubled;
    }

    private static String describe(Throwable ex) {
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }

    /** Stop following: a gap, a fork or a bad message that the configuration says halts. */
    private static class HaltException extends Exception {
        HaltException(String message) {
            super(message);
        }
    }

    /** A gap, a fork or diverged data, with cdc:onGap "resync": load a new snapshot and follow on. */
    private static final class ResyncNeeded extends HaltException {
        ResyncNeeded(String message) {
            super(message);
        }
    }
}
