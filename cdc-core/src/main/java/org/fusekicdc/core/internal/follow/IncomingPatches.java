package org.fusekicdc.core.internal.follow;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.apache.jena.query.TxnType;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.capture.ReplicaDivergedException;
import org.fusekicdc.core.internal.follow.LeaderPatchApplier.BadPatchException;
import org.fusekicdc.core.internal.follow.LeaderPatchApplier.StoreFailure;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.topic.TopicReader;
import org.fusekicdc.core.topic.TopicReader.ForeignMessage;
import org.fusekicdc.core.topic.TopicReader.Incoming;
import org.fusekicdc.core.topic.TopicReader.PatchMessage;
import org.fusekicdc.core.wire.PatchMessages;
import org.fusekicdc.core.wire.PatchReassembler.Patch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the messages a follower reads from its topic, in order. Each patch must be the head's
 * successor (version head + 1, {@code prev} = head's id) and must change the data exactly as it
 * says ({@link LeaderPatchApplier}); a gap, a fork or diverged data halts the follower or has it
 * resynchronise ({@code cdc:onGap}), and a message that is not a patch of the leader's dataset
 * halts it or is set aside ({@code cdc:onBadMessage}, {@link DeadLetters}). Patches already
 * waiting in the reader are applied together in one store transaction.
 */
final class IncomingPatches {
    // The follower's logger: log settings that name it keep covering these messages.
    private static final Logger LOG = LoggerFactory.getLogger(Follower.class);
    /** Most patch bytes applied in one store transaction: bounds the transaction and start-up recovery of an interrupted one. */
    private static final long MAX_GROUP_BYTES = 4L * 1024 * 1024;

    private final CapturingDatasetGraph dsg;
    private final ChangeLog log;
    private final TopicReader reader;
    private final FollowerConfig config;
    private final FollowerStatusReporter status;
    private final BooleanSupplier running;

    /** @param running whether the follower runs (not closed, not halted) */
    IncomingPatches(CapturingDatasetGraph dsg, TopicReader reader, FollowerConfig config, FollowerStatusReporter status, BooleanSupplier running) {
        this.dsg = dsg;
        this.log = dsg.changeLog();
        this.reader = reader;
        this.config = config;
        this.status = status;
        this.running = running;
    }

    /**
     * Handle {@code first} and the patches already waiting after it: two or more go into one
     * store transaction (see {@link #applyGroup}); a message that is not a patch ends the group.
     */
    void handleWithWaiting(Incoming first) throws Exception {
        if ( config.maxGroupVersions() == 1 || !(first instanceof PatchMessage m0) ) {
            handle(first);
            return;
        }
        List<PatchMessage> group = new ArrayList<>();
        group.add(m0);
        long bytes = size(m0.patch());
        Incoming after = null;
        try {
            while ( group.size() < config.maxGroupVersions() && bytes < MAX_GROUP_BYTES && running.getAsBoolean() ) {
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
        status.leaderAt(last.version());
        metas.forEach(meta -> status.reading(meta.version(), meta.timestamp()));
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
        status.appliedUpTo(log.publishedVersion());
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
        status.leaderAt(version);
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
        status.reading(version, meta.timestamp());
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
        status.appliedUpTo(log.publishedVersion());
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
}
