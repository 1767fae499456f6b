package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.List;

import org.apache.jena.sparql.core.Quad;

/**
 * One committed transaction as the engine sees it: the quads it added and removed (net
 * effect, as the change log holds them). Build it from a change-log record with
 * {@link Commits#fromLog}.
 *
 * @param version    the dataset version this commit produced
 * @param commitTime its commit time
 * @param added      quads added, in patch order
 * @param removed    quads removed, in patch order
 */
public record Commit(long version, Instant commitTime, List<Quad> added, List<Quad> removed) {
    public Commit {
        added = List.copyOf(added);
        removed = List.copyOf(removed);
    }
}
