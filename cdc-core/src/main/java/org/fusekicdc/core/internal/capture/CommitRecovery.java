package org.fusekicdc.core.internal.capture;

import java.io.InputStream;
import java.util.Objects;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.LogWriter;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles the change log against the data at start-up, before any write.
 * <p>
 * A patch is appended before the store commits and the store admits one writer at a time, so
 * after a crash only the last record can be in doubt. A patch holds real changes only: before
 * its transaction every added quad was absent and every deleted one present, and after it the
 * reverse. So the data decides: all changes visible means the transaction committed (keep the
 * record); none visible means it did not (remove the record); anything else means the log and
 * the data have diverged, and start-up stops.
 * <p>
 * A follower catching up appends a group of its leader's records for one store transaction
 * ({@link LogWriter#beginGroup}); then every record of the group may be in doubt, and they are
 * decided together by the group's net effect (a later record of the group may undo what an
 * earlier one did, so no single record decides): all visible, the group committed; none, it
 * did not, and all its records are removed.
 */
final class CommitRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(CommitRecovery.class);

    private CommitRecovery() {}

    static void recover(DatasetGraph dsg, LogWriter writer) {
        ChangeLog log = writer.log();
        RecordMeta head = log.head();
        if ( log.pendingRebase() != null )
            return;   // the data is being replaced by a snapshot; the loader finishes that
        if ( head == null ) {
            if ( log.lastGroup() != null )
                writer.forgetGroup();   // its records were removed; a crash came before the marker went
            return;
        }

        ChangeLog.Group group = log.lastGroup();
        if ( group != null ) {
            if ( inGroup(log, group, head) )
                recoverGroup(dsg, writer, group.firstVersion());
            else
                decideLast(dsg, writer, head);
            // Decided: later records in the group's range, applied one at a time, must not be taken for it.
            writer.forgetGroup();
            return;
        }
        decideLast(dsg, writer, head);
    }

    private static void decideLast(DatasetGraph dsg, LogWriter writer, RecordMeta head) {
        ChangeLog log = writer.log();
        LogRecord last = log.read(head.version());
        Tally tally = Txn.calculateRead(dsg, () -> tally(dsg, last));
        if ( tally.notVisible == 0 ) {
            LOG.debug("Dataset '{}': last change log record, version {} (patch {}), matches the data", log.dataset(), head.version(), head.id());
            return;
        }
        if ( tally.visible == 0 ) {
            writer.removeLast(head.version());
            LOG.warn("Dataset '{}': version {} (patch {}) was logged but its transaction did not commit (the server stopped before the store's commit); "
                     + "removed it from the change log. The log now ends at version {}.",
                     log.dataset(), head.version(), head.id(), log.headVersion());
            return;
        }
        throw new ChangeLogException("Dataset '" + log.dataset() + "': the change log and the data disagree: of the " + (tally.visible + tally.notVisible)
                                     + " changes in the last record (version " + head.version() + ", patch " + head.id() + "), " + tally.visible
                                     + " are in the data and " + tally.notVisible + " are not. The dataset was changed without capture, or restored"
                                     + " from a different point than the log. Restore the dataset and its cdc:logDirectory from the same backup,"
                                     + " or move the log directory aside to start a new log.");
    }

    /** True if the head is a record of {@code group}: the group's first record is in the log, with the group's id, and the head is not past the group. */
    private static boolean inGroup(ChangeLog log, ChangeLog.Group group, RecordMeta head) {
        long first = group.firstVersion();
        if ( head.version() < first || head.version() > group.lastVersion() || first < log.firstVersion() )
            return false;
        return log.read(first).meta().id().equals(group.firstId());
    }

    private static void recoverGroup(DatasetGraph dsg, LogWriter writer, long first) {
        ChangeLog log = writer.log();
        long head = log.headVersion();
        NetEffect net = new NetEffect();
        for ( long v = first ; v <= head ; v++ ) {
            try (InputStream in = log.read(v).openPayload()) {
                new RDFPatchReaderText(in).apply(net);
            } catch (java.io.IOException ex) {
                throw new ChangeLogException("Dataset '" + log.dataset() + "': cannot read version " + v + " of the change log: " + ex, ex);
            }
        }
        Tally tally = Txn.calculateRead(dsg, () -> net.tally(dsg));
        if ( tally.notVisible == 0 ) {
            LOG.info("Dataset '{}': versions {}..{}, applied in one transaction, match the data (committed)", log.dataset(), first, head);
            return;
        }
        if ( tally.visible == 0 ) {
            for ( long v = head ; v >= first ; v-- )
                writer.removeLast(v);
            LOG.warn("Dataset '{}': versions {}..{} were logged for one transaction that did not commit (the server stopped before the store's"
                     + " commit); removed them from the change log, which now ends at version {}. A follower applies them again from its leader.",
                     log.dataset(), first, head, log.headVersion());
            return;
        }
        throw new ChangeLogException("Dataset '" + log.dataset() + "': the change log and the data disagree: of the " + (tally.visible + tally.notVisible)
                                     + " net changes of versions " + first + ".." + head + " (logged for one transaction), " + tally.visible
                                     + " are in the data and " + tally.notVisible + " are not. The dataset was changed without capture, or restored"
                                     + " from a different point than the log. Rebuild this follower from a snapshot of its leader (see docs/replicas.md),"
                                     + " or restore the dataset and its cdc:logDirectory from the same backup.");
    }

    /**
     * The net effect of consecutive records: a quad changed again cancels its earlier change
     * (each record holds real changes only, so a second change of a quad undoes the first).
     * Prefixes count only when changed once: one changed and changed back decides nothing.
     * Bounded by the group's size, which the follower bounds.
     */
    private static final class NetEffect extends RDFChangesBase {
        private final java.util.Map<Quad, Boolean> quads = new java.util.HashMap<>();
        private final java.util.Map<String, String> prefixes = new java.util.HashMap<>();   // prefix -> IRI after, or null if deleted
        private final java.util.Set<String> changedAgain = new java.util.HashSet<>();

        private void record(Node g, Node s, Node p, Node o, boolean add) {
            Quad q = Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o);
            if ( quads.remove(q) == null )
                quads.put(q, add);
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            record(g, s, p, o, true);
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            record(g, s, p, o, false);
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            prefix(prefix, uriStr);
        }

        @Override
        public void deletePrefix(Node gn, String prefix) {
            prefix(prefix, null);
        }

        private void prefix(String prefix, String after) {
            if ( prefixes.containsKey(prefix) )
                changedAgain.add(prefix);
            prefixes.put(prefix, after);
        }

        Tally tally(DatasetGraph dsg) {
            Tally tally = new Tally(dsg);
            quads.forEach((q, add) -> {
                if ( add )
                    tally.add(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
                else
                    tally.delete(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject());
            });
            prefixes.forEach((prefix, after) -> {
                if ( changedAgain.contains(prefix) )
                    return;
                if ( after == null )
                    tally.deletePrefix(null, prefix);
                else
                    tally.addPrefix(null, prefix, after);
            });
            return tally;
        }
    }

    private static Tally tally(DatasetGraph dsg, LogRecord record) {
        Tally tally = new Tally(dsg);
        try (InputStream in = record.openPayload()) {
            new RDFPatchReaderText(in).apply(tally);
        } catch (java.io.IOException ex) {
            throw new ChangeLogException("Dataset '" + record.meta() + "': cannot read the last change log record: " + ex, ex);
        }
        return tally;
    }

    /** Counts how many of a patch's changes are visible in the data. */
    private static final class Tally extends RDFChangesBase {
        private final DatasetGraph dsg;
        long visible;
        long notVisible;

        Tally(DatasetGraph dsg) {
            this.dsg = dsg;
        }

        private void count(boolean b) {
            if ( b )
                visible++;
            else
                notVisible++;
        }

        private static Node graph(Node g) {
            return g == null ? Quad.defaultGraphIRI : g;
        }

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            count(dsg.contains(graph(g), s, p, o));
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            count(!dsg.contains(graph(g), s, p, o));
        }

        @Override
        public void addPrefix(Node gn, String prefix, String uriStr) {
            count(Objects.equals(dsg.prefixes().get(prefix), uriStr));
        }

        @Override
        public void deletePrefix(Node gn, String prefix) {
            count(!dsg.prefixes().containsPrefix(prefix));
        }
    }
}
