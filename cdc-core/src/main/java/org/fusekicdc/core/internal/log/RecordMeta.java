package org.fusekicdc.core.internal.log;

import java.time.Instant;
import java.util.UUID;

/**
 * What the log knows about one patch without reading it: its version, its id, the id of the
 * patch before it, and its commit time.
 *
 * @param version   1, 2, 3, ... without gaps for a dataset
 * @param id        unique id of this patch (the patch's {@code id} header)
 * @param prevId    id of the previous patch (the patch's {@code prev} header), or null for version 1
 *                  of a log that starts empty
 * @param timestamp commit time in milliseconds since the epoch
 */
public record RecordMeta(long version, UUID id, UUID prevId, long timestamp) {
    public Instant commitTime() {
        return Instant.ofEpochMilli(timestamp);
    }
}
