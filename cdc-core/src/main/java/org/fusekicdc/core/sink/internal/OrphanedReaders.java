package org.fusekicdc.core.sink.internal;

import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ReaderCursor;
import org.fusekicdc.core.internal.log.Retention;

/**
 * Readers of a change log that no configured sink owns. Sinks are the only readers that
 * register a cursor ({@code sink.<name>}, see {@link SinkRunner#cursorName}); followers,
 * sources, the live engine and the change feed keep their positions elsewhere or not at all.
 * So a reader no sink of the dataset owns was left behind by a sink since removed from the
 * configuration (or renamed), and it keeps every version after its cursor from retention
 * until it is removed.
 */
public final class OrphanedReaders {
    /**
     * A reader no sink owns, with what it keeps from retention: the versions after its cursor
     * and the bytes of the segments holding them that retention could otherwise remove (both
     * 0 when retention keeps everything anyway or overrides readers).
     */
    public record Orphan(String name, long acknowledged, long heldVersions, long heldBytes) {}

    private OrphanedReaders() {}

    /** The log's readers that no sink of {@code sinks} owns, by name. */
    public static List<Orphan> find(ChangeLog log, SinkRunners sinks) {
        Retention r = log.config().retention();
        boolean holds = !r.keepsEverything() && !r.overrideReaders();
        return log.readers().stream()
                  .filter(c -> owningSink(sinks, c.name()).isEmpty())
                  .sorted(Comparator.comparing(ReaderCursor::name))
                  .map(c -> new Orphan(c.name(), c.acknowledged(),
                                       holds ? heldVersions(log, c.acknowledged()) : 0,
                                       holds ? log.bytesKeptFor(c.acknowledged()) : 0))
                  .toList();
    }

    /** The configured sink whose cursor {@code reader} is; empty when no sink owns it. */
    public static Optional<String> owningSink(SinkRunners sinks, String reader) {
        return sinks.runners().stream().map(SinkRunner::name)
                    .filter(sink -> SinkRunner.cursorName(sink).equals(reader))
                    .findFirst();
    }

    private static long heldVersions(ChangeLog log, long acknowledged) {
        long from = Math.max(acknowledged + 1, log.firstVersion());
        return Math.max(0, log.publishedVersion() - from + 1);
    }
}
