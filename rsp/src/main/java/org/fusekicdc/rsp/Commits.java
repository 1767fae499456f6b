package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.history.PatchReplay;
import org.fusekicdc.core.internal.log.LogRecord;

/** Builds {@link Commit}s from the change log. */
public final class Commits {
    private Commits() {}

    /** The commit a change-log record holds (read whole: the caller bounds patch size as the log does). */
    public static Commit fromLog(LogRecord record) {
        List<Quad> added = new ArrayList<>();
        List<Quad> removed = new ArrayList<>();
        PatchReplay.replay(record, new RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                added.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                removed.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
            }
        });
        return new Commit(record.version(), Instant.ofEpochMilli(record.meta().timestamp()), added, removed);
    }
}
