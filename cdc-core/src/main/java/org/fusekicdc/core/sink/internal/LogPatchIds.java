package org.fusekicdc.core.sink.internal;

import java.util.Optional;
import java.util.UUID;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.fusekicdc.core.sink.Sink;

/** The ids of a log's patches, for a sink's check that no other leader published after this server. */
record LogPatchIds(ChangeLog log) implements Sink.PatchIds {
    @Override
    public long headVersion() {
        return log.publishedVersion();
    }

    @Override
    public Optional<UUID> idAt(long version) {
        if ( version <= 0 || version > log.publishedVersion() )
            return Optional.empty();
        try {
            return Optional.ofNullable(log.idOf(version));
        } catch (VersionGoneException | DamagedRecordException ex) {
            return Optional.empty();
        }
    }
}
