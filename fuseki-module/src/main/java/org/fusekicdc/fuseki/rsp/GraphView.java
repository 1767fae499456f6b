package org.fusekicdc.fuseki.rsp;

import java.util.Collection;
import java.util.Map;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;

/**
 * A CONSTRUCT continuous query materialised into a named graph of its dataset: each step
 * replaces the graph (RSTREAM), adds to it (ISTREAM) or removes from it (DSTREAM) in one write
 * transaction, which the dataset captures like any other, so live queries, sinks and followers
 * see it.
 * <p>
 * The same transaction records the step's number in the state graph {@value #STATE_GRAPH}
 * ({@code <urn:fuseki-cdc:rsp:query:NAME> cdc:lastStep N}), so the graph and the record of what
 * it holds commit together or not at all: after a crash a query resumes with the step after the
 * last one committed, and never applies a step twice or skips one. The commit's patch carries
 * the header {@value #HEADER} naming the query, by which the feeder keeps views' own commits out
 * of every window.
 */
final class GraphView {
    /** The named graph where views record their last step. */
    static final String STATE_GRAPH = "urn:fuseki-cdc:rsp";
    /** Patch header of a view's commit; its value is the query's name. */
    static final String HEADER = "rsp-view";
    private static final Node STATE = NodeFactory.createURI(STATE_GRAPH);
    private static final Node LAST_STEP = NodeFactory.createURI("https://w3id.org/fuseki-cdc#lastStep");

    /** How a step changes the graph. */
    enum Mode { REPLACE, ADD, REMOVE }

    private final CapturingDatasetGraph dataset;
    private final String query;
    private final Node graph;
    private final Node subject;

    GraphView(CapturingDatasetGraph dataset, String query, String graphIri) {
        this.dataset = dataset;
        this.query = query;
        this.graph = NodeFactory.createURI(graphIri);
        this.subject = NodeFactory.createURI("urn:fuseki-cdc:rsp:query:" + query);
    }

    String graphIri() {
        return graph.getURI();
    }

    /** The number of the last step this view holds; 0 for none. */
    long lastStep() {
        dataset.begin(TxnType.READ);
        try {
            var it = dataset.find(STATE, subject, LAST_STEP, Node.ANY);
            return it.hasNext() ? Long.parseLong(it.next().getObject().getLiteralLexicalForm()) : 0;
        } finally {
            dataset.end();
        }
    }

    /**
     * Apply step {@code step} and record it, in one transaction; nothing when the view holds the
     * step already (a step replayed after a restart).
     *
     * @return whether the step was applied
     */
    boolean apply(long step, Mode mode, Collection<Triple> triples) {
        dataset.begin(TxnType.WRITE);
        try {
            var it = dataset.find(STATE, subject, LAST_STEP, Node.ANY);
            Quad recorded = it.hasNext() ? it.next() : null;
            if ( recorded != null && Long.parseLong(recorded.getObject().getLiteralLexicalForm()) >= step ) {
                dataset.abort();
                return false;
            }
            if ( mode == Mode.REPLACE )
                dataset.deleteAny(graph, Node.ANY, Node.ANY, Node.ANY);
            for ( Triple t : triples ) {
                if ( mode == Mode.REMOVE )
                    dataset.delete(graph, t.getSubject(), t.getPredicate(), t.getObject());
                else
                    dataset.add(graph, t.getSubject(), t.getPredicate(), t.getObject());
            }
            if ( recorded != null )
                dataset.delete(recorded);
            dataset.add(STATE, subject, LAST_STEP, NodeFactory.createLiteralDT(Long.toString(step), XSDDatatype.XSDinteger));
            dataset.commit(Map.of(HEADER, query));
            return true;
        } finally {
            dataset.end();
        }
    }
}
