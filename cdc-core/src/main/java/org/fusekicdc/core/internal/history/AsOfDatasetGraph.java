package org.fusekicdc.core.internal.history;

import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.jena.atlas.iterator.Iter;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.query.ReadWrite;
import org.apache.jena.query.TxnType;
import org.apache.jena.riot.system.PrefixMap;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.DatasetGraphBaseFind;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.GraphView;
import org.apache.jena.sparql.core.Quad;

/**
 * A read-only view of a dataset as it was at an earlier version: the current state ({@code base},
 * read in the caller's read transaction) with the net change since that version undone, as an
 * overlay: quads added since are hidden, quads removed since are shown again. Nothing of the
 * base is copied; the overlay holds only the quads removed since the version (indexed, so each
 * pattern lookup stays a lookup) and the net change's set of added quads.
 * <p>
 * Prefixes are the base's current ones (they do not change query answers). Transactions are the
 * base's: the view is used inside the read transaction the base was read in.
 */
public final class AsOfDatasetGraph extends DatasetGraphBaseFind {
    private final DatasetGraph base;
    private final NetChange undo;
    private final DatasetGraph removed;

    /**
     * @param base the dataset at version {@code undo.until()}, in a read transaction on this thread
     * @param undo the net change from the wanted version to the base's
     */
    public AsOfDatasetGraph(DatasetGraph base, NetChange undo) {
        this.base = base;
        this.undo = undo;
        this.removed = DatasetGraphFactory.create();
        undo.forEachRemoved(removed::add);
    }

    /** The version this view shows. */
    public long version() {
        return undo.after();
    }

    private Iterator<Quad> visible(Iterator<Quad> current) {
        return Iter.filter(current, q -> !undo.isAdded(NetChange.normalise(q.getGraph(), q.getSubject(), q.getPredicate(), q.getObject())));
    }

    @Override
    protected Iterator<Quad> findInDftGraph(Node s, Node p, Node o) {
        return Iter.concat(visible(base.find(Quad.defaultGraphIRI, s, p, o)), removed.find(Quad.defaultGraphIRI, s, p, o));
    }

    @Override
    protected Stream<Quad> streamInDftGraph(Node s, Node p, Node o) {
        return Iter.asStream(findInDftGraph(s, p, o));
    }

    @Override
    protected Iterator<Quad> findInSpecificNamedGraph(Node g, Node s, Node p, Node o) {
        return Iter.concat(visible(base.find(g, s, p, o)), removed.find(g, s, p, o));
    }

    @Override
    protected Stream<Quad> streamInSpecificNamedGraph(Node g, Node s, Node p, Node o) {
        return Iter.asStream(findInSpecificNamedGraph(g, s, p, o));
    }

    @Override
    protected Iterator<Quad> findInAnyNamedGraphs(Node s, Node p, Node o) {
        return Iter.concat(visible(base.findNG(Node.ANY, s, p, o)), removed.findNG(Node.ANY, s, p, o));
    }

    @Override
    protected Stream<Quad> streamInAnyNamedGraphs(Node s, Node p, Node o) {
        return Iter.asStream(findInAnyNamedGraphs(s, p, o));
    }

    @Override
    public Iterator<Node> listGraphNodes() {
        Set<Node> names = new LinkedHashSet<>();
        base.listGraphNodes().forEachRemaining(names::add);
        removed.listGraphNodes().forEachRemaining(names::add);
        // A graph whose every quad was added since the version did not exist then.
        return Iter.filter(names.iterator(), g -> hasQuads(g));
    }

    @Override
    public boolean containsGraph(Node graphNode) {
        if ( Quad.isDefaultGraph(graphNode) || Quad.isUnionGraph(graphNode) )
            return true;
        return hasQuads(graphNode);
    }

    private boolean hasQuads(Node g) {
        Iterator<Quad> it = findInSpecificNamedGraph(g, Node.ANY, Node.ANY, Node.ANY);
        try {
            return it.hasNext();
        } finally {
            Iter.close(it);
        }
    }

    @Override
    public Graph getDefaultGraph() {
        return GraphView.createDefaultGraph(this);
    }

    @Override
    public Graph getGraph(Node graphNode) {
        return GraphView.createNamedGraph(this, graphNode);
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

    private UnsupportedOperationException readOnly() {
        return new UnsupportedOperationException("The dataset as of version " + version() + " is read-only: write to the current dataset.");
    }

    // ---- Transactions: the base's, begun by the caller.

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
        return base.isInTransaction();
    }

    @Override
    public ReadWrite transactionMode() {
        return base.transactionMode();
    }

    @Override
    public TxnType transactionType() {
        return base.transactionType();
    }

    @Override
    public void begin(TxnType type) {
        throw new UnsupportedOperationException("The dataset as of version " + version() + " is read inside the read transaction it was opened in");
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
    public void end() {
        // The transaction belongs to whoever opened the view.
    }
}
