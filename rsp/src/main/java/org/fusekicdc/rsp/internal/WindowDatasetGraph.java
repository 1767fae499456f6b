package org.fusekicdc.rsp.internal;

import java.util.Iterator;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.query.TxnType;
import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphBaseFind;
import org.apache.jena.sparql.core.GraphView;
import org.apache.jena.sparql.core.Quad;

/**
 * The dataset a step evaluates on: the dataset at the step's version, plus one graph per
 * window named by the window's IRI (what {@code WINDOW <w> { }} blocks, rewritten to
 * {@code GRAPH <w> { }}, read). Window graphs are not listed among the named graphs, so
 * {@code GRAPH ?g} ranges over the dataset only. Read-only; read in the base's read
 * transaction, which the caller holds.
 */
final class WindowDatasetGraph extends DatasetGraphBaseFind {
    private final DatasetGraph base;
    private final Map<Node, Graph> windows;

    WindowDatasetGraph(DatasetGraph base, Map<Node, Graph> windows) {
        this.base = base;
        this.windows = windows;
    }

    @Override
    protected Iterator<Quad> findInDftGraph(Node s, Node p, Node o) {
        return base.find(Quad.defaultGraphIRI, s, p, o);
    }

    @Override
    protected Stream<Quad> streamInDftGraph(Node s, Node p, Node o) {
        return Iter.asStream(findInDftGraph(s, p, o));
    }

    @Override
    protected Iterator<Quad> findInSpecificNamedGraph(Node g, Node s, Node p, Node o) {
        Graph w = windows.get(g);
        if ( w != null )
            return Iter.map(w.find(s, p, o), t -> Quad.create(g, t));
        return base.find(g, s, p, o);
    }

    @Override
    protected Stream<Quad> streamInSpecificNamedGraph(Node g, Node s, Node p, Node o) {
        return Iter.asStream(findInSpecificNamedGraph(g, s, p, o));
    }

    @Override
    protected Iterator<Quad> findInAnyNamedGraphs(Node s, Node p, Node o) {
        return base.findNG(Node.ANY, s, p, o);
    }

    @Override
    protected Stream<Quad> streamInAnyNamedGraphs(Node s, Node p, Node o) {
        return Iter.asStream(findInAnyNamedGraphs(s, p, o));
    }

    @Override
    public Iterator<Node> listGraphNodes() {
        return base.listGraphNodes();
    }

    @Override
    public boolean containsGraph(Node graphNode) {
        return windows.containsKey(graphNode) || base.containsGraph(graphNode);
    }

    @Override
    public Graph getDefaultGraph() {
        return GraphView.createDefaultGraph(this);
    }

    @Override
    public Graph getGraph(Node graphNode) {
        Graph w = windows.get(graphNode);
        return w != null ? w : GraphView.createNamedGraph(this, graphNode);
    }

    @Override
    public PrefixMap prefixes() {
        return base.prefixes();
    }

    @Override
    public void addGraph(Node graphName, Graph graph) {
        throw readOnly();
    }

    @Override
    public void removeGraph(Node graphName) {
        throw readOnly();
    }

    @Override
    public void add(Node g, Node s, Node p, Node o) {
        throw readOnly();
    }

    @Override
    public void delete(Node g, Node s, Node p, Node o) {
        throw readOnly();
    }

    private static UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("a continuous query reads the dataset and its windows; it cannot write to them");
    }

    // Transactions: the caller holds the base's read transaction for the whole step.

    @Override
    public boolean supportsTransactions() {
        return true;
    }

    @Override
    public boolean supportsTransactionAbort() {
        return false;
    }

    @Override
    public boolean isInTransaction() {
        return true;
    }

    @Override
    public ReadWrite transactionMode() {
        return ReadWrite.READ;
    }

    @Override
    public TxnType transactionType() {
        return TxnType.READ;
    }

    @Override
    public void begin(TxnType type) {
        throw new UnsupportedOperationException("a step's dataset is read in the transaction its view was opened in");
    }

    @Override
    public void begin(ReadWrite readWrite) {
        begin(TxnType.convert(readWrite));
    }

    @Override
    public boolean promote(Promote mode) {
        throw readOnly();
    }

    @Override
    public void commit() {
        throw readOnly();
    }

    @Override
    public void abort() {
        throw readOnly();
    }

    @Override
    public void end() {}

    @Override
    public void close() {}
}
