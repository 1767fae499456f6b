package org.fusekicdc.fuseki.rsp;

import java.util.List;
import java.util.Map;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.TxnType;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.rsp.LateEvent;

/**
 * The late-data output of a configured event-time query: the events of each commit that came
 * too late for its windows are added to a named graph of its dataset (their triples, graph names
 * dropped, as in a window) in one write transaction, which the dataset captures like any other,
 * so live queries, sinks and followers see it.
 * <p>
 * The same transaction records the version of the commit those events came in
 * ({@code <urn:fuseki-cdc:rsp:query:NAME> cdc:lastLateVersion V} in the state graph
 * {@value GraphView#STATE_GRAPH}): a restarted server replays the log and refuses the same late
 * events again, and the commits at or before the recorded version are not written twice. The
 * commit's patch carries the header {@value #HEADER} naming the query, by which the feeder keeps
 * it out of every window.
 */
final class LateGraph {
    /** Patch header of a late-data commit; its value is the query's name. */
    static final String HEADER = "rsp-late";
    private static final Node STATE = NodeFactory.createURI(GraphView.STATE_GRAPH);
    private static final Node LAST_LATE_VERSION = NodeFactory.createURI("https://w3id.org/fuseki-cdc#lastLateVersion");

    private final CapturingDatasetGraph dataset;
    private final String query;
    private final Node graph;
    private final Node subject;

    LateGraph(CapturingDatasetGraph dataset, String query, String graphIri) {
        this.dataset = dataset;
        this.query = query;
        this.graph = NodeFactory.createURI(graphIri);
        this.subject = NodeFactory.createURI("urn:fuseki-cdc:rsp:query:" + query);
    }

    /**
     * Add the late events of the commit at {@code version} and record it, in one transaction;
     * nothing when the graph holds that commit's late events already (replayed after a restart).
     *
     * @return whether they were written
     */
    boolean write(long version, List<LateEvent> events) {
        dataset.begin(TxnType.WRITE);
        try {
            var it = dataset.find(STATE, subject, LAST_LATE_VERSION, Node.ANY);
            Quad recorded = it.hasNext() ? it.next() : null;
            if ( recorded != null && Long.parseLong(recorded.getObject().getLiteralLexicalForm()) >= version ) {
                dataset.abort();
                return false;
            }
            for ( LateEvent e : events )
                dataset.add(graph, e.quad().getSubject(), e.quad().getPredicate(), e.quad().getObject());
            if ( recorded != null )
                dataset.delete(recorded);
            dataset.add(STATE, subject, LAST_LATE_VERSION, NodeFactory.createLiteralDT(Long.toString(version), XSDDatatype.XSDinteger));
            dataset.commit(Map.of(HEADER, query));
            return true;
        } finally {
            dataset.end();
        }
    }
}
