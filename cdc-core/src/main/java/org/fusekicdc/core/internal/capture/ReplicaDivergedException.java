package org.fusekicdc.core.internal.capture;

import org.fusekicdc.core.CdcException;
import org.fusekicdc.core.internal.log.RecordMeta;

/**
 * A leader's patch did not apply exactly: some of its adds were already there or some of its
 * deletes were already gone, so the follower's data was not the leader's before the patch. The
 * transaction was aborted; nothing was changed.
 */
public final class ReplicaDivergedException extends CdcException {
    public ReplicaDivergedException(String dataset, RecordMeta patch, long inPatch, long applied) {
        super("Dataset '" + dataset + "': the leader's patch version " + patch.version() + " (id " + patch.id() + ") holds " + inPatch
              + " quad changes but only " + applied + " changed this dataset: its data differs from the leader's at version "
              + (patch.version() - 1) + " (it was written to without going through the leader, or restored from another point)."
              + " Rebuild this follower from a snapshot of the leader (see docs/replicas.md).");
    }
}
