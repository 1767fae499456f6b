package org.fusekicdc.core.internal.capture;

import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.PayloadWriter;
import org.fusekicdc.core.internal.log.RecordMeta;

/**
 * The order in which a captured write transaction reaches the change log and the store, and
 * what happens when either fails. Every append, publish, undo and rebase of a captured
 * dataset's records goes through here, and start-up recovery runs from {@link #open}; so the
 * lock and the fsync below are in this one place.
 * <p>
 * When a change is logged, relative to the store's commit:
 * <ol>
 * <li>The patch is <b>appended</b> to the log before the store's commit starts, while the
 *     store's write transaction is still open (so still inside the store's single-writer
 *     section). With fsync on, the append returns only once the record is on disk.</li>
 * <li>The <b>store commits</b>.</li>
 * <li>The record is <b>published</b> (visible to sinks, feeds, live queries and followers)
 *     only after the store's commit has returned.</li>
 * </ol>
 * So a reader never sees a version the store does not hold, and the store never holds a change
 * the log lacks:
 * <ul>
 * <li>the append fails (disk full): the store's transaction is aborted, nothing is committed;</li>
 * <li>the store's commit fails: the record is removed ({@link LogWriter#undoAppend}) before the
 *     next writer may append;</li>
 * <li>the process dies between append and store commit: at the next start
 *     {@link CommitRecovery} decides the last record by looking at the data, before any write
 *     ({@link #open}).</li>
 * </ul>
 * <p>
 * Locking: one lock, {@code commitLock}, is held from the append to the publish (or undo). The
 * store admits the next writer as soon as its commit returns, and the log takes one pending
 * record at a time; the lock makes that next writer's append wait until this record is
 * published. The append, with its fsync, runs under this lock and also inside the store's
 * single-writer section (the store's transaction is still open), so it delays the next writer
 * either way. While the lock is held a store commit may be under way; {@link KnownVersionReads}
 * is told when one starts and ends, to open read transactions that show exactly one version.
 */
final class CommitProtocol {
    private final LogWriter writer;
    private final ChangeLog log;
    // Held from log append to publish: the store's writer lock is released when its commit returns.
    private final ReentrantLock commitLock = new ReentrantLock();
    private final KnownVersionReads reads;

    private CommitProtocol(DatasetGraph store, LogWriter writer) {
        this.writer = writer;
        this.log = writer.log();
        this.reads = new KnownVersionReads(store, log);
    }

    /**
     * The commit protocol of {@code store} and its log, after settling the log against the data
     * left by an unclean stop (see {@link CommitRecovery}).
     */
    static CommitProtocol open(DatasetGraph store, LogWriter writer) {
        CommitRecovery.recover(store, writer);
        return new CommitProtocol(store, writer);
    }

    /**
     * A committed transaction: its record, how long the record took from its stamp to durable in
     * the log, and how long the store's own commit took after that.
     */
    record Committed(RecordMeta meta, long appendNanos, long storeNanos) {}

    /**
     * Log the open write transaction's patch and commit the store, in the order the class
     * comment gives.
     *
     * @param replicaOf   the identity another log gave this patch (a leader's record), or null
     *                    for a new record
     * @param patch       writes the patch, given the record's identity
     * @param storeCommit commits the store's transaction
     * @param storeAbort  aborts it (the patch could not be logged)
     */
    Committed commit(RecordMeta replicaOf, PayloadWriter patch, Runnable storeCommit, Runnable storeAbort) {
        commitLock.lock();
        try {
            RecordMeta meta;
            long a0 = System.nanoTime();
            try {
                meta = replicaOf != null ? writer.appendReplica(replicaOf, patch) : writer.append(patch);
            } catch (RuntimeException ex) {
                // Not logged, so it must not commit.
                storeAbort.run();
                throw ex;
            }
            long appendNanos = System.nanoTime() - a0;
            reads.committing(log.publishedVersion(), meta.version());
            long s0 = System.nanoTime();
            try {
                storeCommit.run();
            } catch (RuntimeException | Error ex) {
                writer.undoAppend(meta.version());
                throw ex;
            }
            long storeNanos = System.nanoTime() - s0;
            writer.publish(meta.version());
            return new Committed(meta, appendNanos, storeNanos);
        } finally {
            reads.stable(log.publishedVersion());
            commitLock.unlock();
        }
    }

    /**
     * Begin a group of a leader's records for the open store transaction (see
     * {@link LogWriter#beginGroup}): holds the commit lock until {@link #commitGroup} or
     * {@link #abandonGroup}, on this thread.
     */
    void beginGroup(RecordMeta first, long lastVersion) {
        commitLock.lock();
        try {
            writer.beginGroup(first, lastVersion);
        } catch (RuntimeException ex) {
            commitLock.unlock();
            throw ex;
        }
    }

    /** Append one of the open group's records; it stays pending until {@link #commitGroup}. */
    RecordMeta appendInGroup(RecordMeta record, PayloadWriter patch) {
        return writer.appendReplica(record, patch);
    }

    /**
     * Make the group's records durable, commit the store, publish them all; if nothing was
     * appended, just commit the store. On a failure the records are removed and the store's
     * transaction is aborted (or its commit failed), as in {@link #commit}.
     *
     * @return the last version published
     */
    long commitGroup(Runnable storeCommit, Runnable storeAbort) {
        try {
            long head = log.headVersion();
            if ( head == log.publishedVersion() ) {
                writer.endEmptyGroup();
                storeCommit.run();
                return head;
            }
            try {
                writer.syncGroup();
            } catch (RuntimeException ex) {
                storeAbort.run();
                writer.undoAppend(head);
                throw ex;
            }
            reads.committing(log.publishedVersion(), head);
            try {
                storeCommit.run();
            } catch (RuntimeException | Error ex) {
                writer.undoAppend(head);
                throw ex;
            }
            writer.publish(head);
            return head;
        } finally {
            reads.stable(log.publishedVersion());
            commitLock.unlock();
        }
    }

    /** Remove the open group's records (the store's transaction is being aborted) and release the lock. */
    void abandonGroup() {
        try {
            if ( log.headVersion() > log.publishedVersion() )
                writer.undoAppend(log.headVersion());
            else
                writer.endEmptyGroup();
        } finally {
            commitLock.unlock();
        }
    }

    /** See {@link CapturingDatasetGraph#markRebase}. */
    void markRebase(long version, UUID id, Path snapshotFile) {
        writer.markRebase(version, id, snapshotFile);
    }

    /**
     * Replace the store's content with what {@code load} writes, in one store transaction, then
     * rebase the log on {@code version}; no capture commit runs meanwhile, and readers asking for
     * a known version wait.
     */
    void replaceAndRebase(DatasetGraph store, Consumer<DatasetGraph> load, long version, UUID id) {
        commitLock.lock();
        try {
            reads.replacing(log.publishedVersion());
            Txn.executeWrite(store, () -> {
                store.clear();
                store.prefixes().clear();
                load.accept(store);
            });
            writer.rebase(version, id);
        } finally {
            reads.stable(log.publishedVersion());
            commitLock.unlock();
        }
    }

    /** See {@link CapturingDatasetGraph#beginReadAtKnownVersion}; begins and, on a retry, ends on {@code dsg}. */
    long beginReadAtKnownVersion(DatasetGraph dsg) {
        return reads.beginRead(dsg);
    }
}
