package org.fusekicdc.streams.serde;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.rsp.Commit;

/**
 * One quad a commit added or removed: the unit a continuous query's windows hold, and what
 * a patch expands to for Kafka Streams code that works per quad (filters, counts, joins).
 *
 * @param dataset    the dataset's name ({@code cdc-dataset})
 * @param version    the version of the commit that carried the quad
 * @param commitTime that commit's time
 * @param change     whether the commit added or removed the quad
 * @param quad       the quad; the default graph is {@link Quad#defaultGraphIRI}
 */
public record QuadEvent(String dataset, long version, Instant commitTime, Change change, Quad quad) {
    /** What the commit did to the quad. */
    public enum Change { ADDED, REMOVED }

    /** The events of a commit: its removals, then its additions, each in patch order (the order a patch applies them). */
    public static List<QuadEvent> of(String dataset, Commit commit) {
        List<QuadEvent> out = new ArrayList<>(commit.added().size() + commit.removed().size());
        for ( Quad q : commit.removed() )
            out.add(new QuadEvent(dataset, commit.version(), commit.commitTime(), Change.REMOVED, q));
        for ( Quad q : commit.added() )
            out.add(new QuadEvent(dataset, commit.version(), commit.commitTime(), Change.ADDED, q));
        return out;
    }
}
