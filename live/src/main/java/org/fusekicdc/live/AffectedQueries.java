package org.fusekicdc.live;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

import org.apache.jena.graph.Node;
import org.apache.jena.rdfpatch.changes.RDFChangesBase;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.DamagedRecordException;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.core.internal.log.VersionGoneException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds the live queries a range of patches can affect, through the {@link PatternIndex}. */
final class AffectedQueries {
    private static final Logger LOG = LoggerFactory.getLogger(AffectedQueries.class);
    private static final int ALL_AFFECTED_AFTER_CHANGES = 200_000;

    private AffectedQueries() {}

    /** The queries the patches in (from, to] can affect; their changes go to {@code collector}. */
    static Set<LiveGroup> find(ChangeLog log, PatternIndex<LiveGroup> index, Collection<LiveGroup> groups, long from, long to,
                               IncrementalPlan.ChangeCollector collector, String dataset) {
        Set<LiveGroup> out = new HashSet<>();
        if ( groups.isEmpty() )
            return out;
        int[] changes = {0};
        try {
            for ( long v = from + 1 ; v <= to ; v++ ) {
                LogRecord r = log.read(v);
                try (InputStream in = r.openPayload()) {
                    new RDFPatchReaderText(in).apply(new RDFChangesBase() {
                        @Override
                        public void add(Node g, Node s, Node p, Node o) {
                            probe(g, s, p, o, true);
                        }

                        @Override
                        public void delete(Node g, Node s, Node p, Node o) {
                            probe(g, s, p, o, false);
                        }

                        private void probe(Node g, Node s, Node p, Node o, boolean add) {
                            if ( ++changes[0] > ALL_AFFECTED_AFTER_CHANGES )
                                throw new AllAffected();
                            Quad q = Quad.create(g == null ? Quad.defaultGraphIRI : g, s, p, o);
                            index.affected(q, out);
                            collector.change(q, add);
                        }
                    });
                }
                if ( out.size() == groups.size() ) {
                    collector.giveUp();
                    break;
                }
            }
        } catch (AllAffected | VersionGoneException | DamagedRecordException ex) {
            // The answers come from the store, not the patch: re-evaluating every query is exact.
            collector.giveUp();
            out.addAll(groups);
        } catch (IOException ex) {
            LOG.warn("Dataset '{}': cannot read patches {}..{} for live queries ({}); re-evaluating all", dataset, from + 1, to, ex.toString());
            collector.giveUp();
            out.addAll(groups);
        }
        return out;
    }

    /** Thrown to stop matching when a step changed so much that every query is re-evaluated anyway. */
    private static final class AllAffected extends RuntimeException {
        AllAffected() {
            super(null, null, false, false);
        }
    }
}
