package org.fusekicdc.core.sink.internal;

import java.util.List;

import org.fusekicdc.core.internal.history.AsOfSource;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.wire.PatchRecord;

/** The change log as a sink is fed from it: records read in order, handed on as patches. */
final class SinkFeed {
    private final ChangeLog log;
    // Handed on with every patch; null when the log is not a captured dataset's.
    private final AsOfSource asOf;
    private final DeliveryOutcomes outcomes;

    SinkFeed(ChangeLog log, AsOfSource asOf, DeliveryOutcomes outcomes) {
        this.log = log;
        this.asOf = asOf;
        this.outcomes = outcomes;
    }

    /** Up to {@code max} records after {@code after}; null when the sink was paused because they cannot be read. */
    List<LogRecord> readAfter(long after, int max) {
        try {
            return log.readAfter(after, max);
        } catch (VersionGoneException ex) {
            outcomes.pauseWith("versions from " + (after + 1) + " were removed from the change log by retention before this sink delivered them"
                               + " (oldest left: " + ex.oldestAvailable() + "). Rewind the sink to " + (ex.oldestAvailable() - 1)
                               + " to skip the gap knowingly, or restore the log; raise retention or stop overriding readers to avoid it.");
            return null;
        } catch (DamagedRecordException ex) {
            outcomes.pauseWith(ex.getMessage() + " Resume the sink once the log is repaired.");
            return null;
        }
    }

    PatchRecord patch(LogRecord r) {
        return new PatchRecord(log.dataset(), r, asOf);
    }

    List<PatchRecord> patches(List<LogRecord> records) {
        return records.stream().map(this::patch).toList();
    }
}
