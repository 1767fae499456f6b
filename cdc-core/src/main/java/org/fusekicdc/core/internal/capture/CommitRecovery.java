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
 */
final class CommitRecovery {
    private static final Logger LOG = LoggerFactory.getLogger(CommitRecovery.class);

    private CommitRecovery() {}

    static void recover(DatasetGraph dsg, LogWriter writer) {
        ChangeLog log = writer.log();
        RecordMeta head = log.head();
        if ( head == null )
            return;
        if ( log.pendingRebase() != null )
            return;   // the data is being replaced by a snapshot; the loader finishes that

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
