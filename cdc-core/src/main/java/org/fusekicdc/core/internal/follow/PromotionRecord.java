package org.fusekicdc.core.internal.follow;

import java.util.Map;
import java.util.UUID;

import org.apache.jena.query.TxnType;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.RecordMeta;
import org.fusekicdc.core.wire.PatchHeaders;

/**
 * The first version of a promoted leader: an empty patch, committed by the promotion itself, with
 * {@link PatchHeaders#PROMOTED} as its header. Its sink publishes it like any version, and once it
 * is on the topic the old leader cannot publish again whatever it holds: its sink finds a version
 * past its own log, or a patch id at a version where its log holds another, and is fenced. Without
 * it, an old leader restarted before the new leader's first write would find the topic ending
 * with its own last patch and take the topic back. Followers apply it like any version.
 */
public final class PromotionRecord {
    private PromotionRecord() {}

    /**
     * Commit the promotion record on {@code dsg}, which must be writable (no longer a follower).
     *
     * @return its identity: the version after the head, a new patch id, the head's id as prev
     */
    public static RecordMeta commit(CapturingDatasetGraph dsg) {
        ChangeLog log = dsg.changeLog();
        dsg.begin(TxnType.WRITE);
        try {
            // Inside the write transaction: no other writer can move the head meanwhile.
            RecordMeta meta = new RecordMeta(log.headVersion() + 1, UUID.randomUUID(), log.headId(), log.config().clock().millis());
            dsg.commitAs(meta, Map.of(PatchHeaders.PROMOTED, "true"), 0);
            return meta;
        } finally {
            dsg.end();
        }
    }
}
