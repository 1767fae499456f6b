package org.fusekicdc.rsp;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.history.PatchReplay;
import org.fusekicdc.core.internal.log.LogRecord;

/** Builds {@link Commit}s from the change log or from patches read off a topic. */
public final class Commits {
    private Commits() {}

    /** The commit a change-log record holds (read whole: the caller bounds patch size as the log does). */
    public static Commit fromLog(LogRecord record) {
        Collector c = new Collector();
        PatchReplay.replay(record, c);
        return c.commit(record.version(), Instant.ofEpochMilli(record.meta().timestamp()));
    }

    /** The commit of a whole patch, with the version and commit time its headers gave. */
    public static Commit fromPatch(long version, Instant commitTime, RDFPatch patch) {
        Collector c = new Collector();
        patch.apply(c);
        return c.commit(version, commitTime);
    }

    /** Collects the quads a patch adds and deletes, the default graph named as {@link Quad#defaultGraphIRI}. */
    private static final class Collector extends RDFChangesBase {
        private final List<Quad> added = new ArrayList<>();
        private final List<Quad> removed = new ArrayList<>();

        @Override
        public void add(Node g, Node s, Node p, Node o) {
            added.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
        }

        @Override
        public void delete(Node g, Node s, Node p, Node o) {
            removed.add(Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o));
        }

        Commit commit(long version, Instant commitTime) {
            return new Commit(version, commitTime, added, removed);
        }
    }
}
