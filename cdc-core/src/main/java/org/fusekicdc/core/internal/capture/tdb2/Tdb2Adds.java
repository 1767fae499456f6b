package org.fusekicdc.core.internal.capture.tdb2;

import java.util.EnumSet;
import java.util.Set;

import org.apache.jena.atlas.lib.tuple.Tuple;
import org.apache.jena.atlas.lib.tuple.TupleFactory;
import org.apache.jena.dboe.index.RangeIndex;
import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.tdb2.lib.TupleLib;
import org.apache.jena.tdb2.store.DatasetGraphTDB;
import org.apache.jena.tdb2.store.NodeId;
import org.apache.jena.tdb2.store.NodeIdType;
import org.apache.jena.tdb2.store.nodetable.NodeTable;
import org.apache.jena.tdb2.store.nodetupletable.NodeTupleTable;
import org.apache.jena.tdb2.store.tupletable.TupleIndex;
import org.apache.jena.tdb2.store.tupletable.TupleIndexRecord;
import org.apache.jena.tdb2.store.tupletable.TupleTable;
import org.apache.jena.tdb2.store.value.IntegerNode;
import org.apache.jena.tdb2.sys.TDBInternal;

/**
 * Adds to a TDB2 store that also say whether the quad was new, at the cost of one add, and
 * give the quad back as the store holds it.
 * <p>
 * The generic path asks {@code contains} and then adds: each looks every node up in TDB2's
 * node table, which is most of the work of a bulk load. Here the nodes are looked up (and
 * allocated) once and the ids are inserted into the primary index, whose B+tree says whether
 * the key was new; only then into the other indexes. That is TDB2's own add, minus its no-op
 * inserts of a quad that is already there.
 * <p>
 * TDB2 keeps a literal whose value fits in a node id (most numbers, dates, date-times and
 * booleans) as that value, not as written: {@code "01.50"^^xsd:decimal} is stored, found and
 * deleted as {@code "1.5"^^xsd:decimal}. The quad an add returns spells such a literal as the
 * store does, decoded from the id the add already computed, and {@link #storedTerms} does the
 * same for a delete; other terms are kept as given.
 */
public final class Tdb2Adds {
    // The inline types TDB2 reads back as Long.toString of the value, with the literal's own datatype.
    private static final Set<NodeIdType> INTEGERS = EnumSet.of(
        NodeIdType.XSD_INTEGER, NodeIdType.XSD_LONG, NodeIdType.XSD_INT, NodeIdType.XSD_SHORT, NodeIdType.XSD_BYTE,
        NodeIdType.XSD_POSITIVE_INTEGER, NodeIdType.XSD_NEGATIVE_INTEGER, NodeIdType.XSD_NON_NEGATIVE_INTEGER, NodeIdType.XSD_NON_POSITIVE_INTEGER,
        NodeIdType.XSD_UNSIGNEDLONG, NodeIdType.XSD_UNSIGNEDINT, NodeIdType.XSD_UNSIGNEDSHORT, NodeIdType.XSD_UNSIGNEDBYTE);

    private final DatasetGraph base;

    private Tdb2Adds(DatasetGraph base) {
        this.base = base;
    }

    /** For a TDB2 store, else null (the caller keeps the generic path). Call only if {@link Tdb2Classpath#present()}. */
    public static Tdb2Adds forStore(DatasetGraph base) {
        return TDBInternal.isTDB2(base) ? new Tdb2Adds(base) : null;
    }

    /**
     * Add a concrete quad in the current write transaction.
     *
     * @return the quad in the store's terms if it was absent (a real change), null if it was there already
     */
    public Quad addIfAbsent(Node g, Node s, Node p, Node o) {
        // Looked up per call: compaction may switch the storage under the dataset.
        DatasetGraphTDB store = TDBInternal.getDatasetGraphTDB(base);
        boolean defaultGraph = Quad.isDefaultGraph(g);
        NodeTupleTable table = defaultGraph ? store.getTripleTable().getNodeTupleTable() : store.getQuadTable().getNodeTupleTable();
        NodeTable nodes = table.getNodeTable();
        NodeId gid = defaultGraph ? null : nodes.getAllocateNodeId(g);
        NodeId sid = nodes.getAllocateNodeId(s);
        NodeId pid = nodes.getAllocateNodeId(p);
        NodeId oid = nodes.getAllocateNodeId(o);
        Tuple<NodeId> tuple = defaultGraph ? TupleFactory.create3(sid, pid, oid) : TupleFactory.create4(gid, sid, pid, oid);
        if ( !insertIfAbsent(table.getTupleTable(), tuple) )
            return null;
        return Quad.create(defaultGraph ? g : stored(g, gid), stored(s, sid), stored(p, pid), stored(o, oid));
    }

    /**
     * The quad in the terms TDB2 holds it in, if it holds it: an inlinable literal in canonical
     * form, any other term as given (TDB2 finds those by the term itself). No lookup needed.
     */
    public static Quad storedTerms(Node g, Node s, Node p, Node o) {
        return Quad.create(g, storedTerm(s), storedTerm(p), storedTerm(o));
    }

    private static Node storedTerm(Node node) {
        if ( !node.isLiteral() )
            return node;
        NodeId id = NodeId.inline(node);
        return id == null ? node : stored(node, id);
    }

    private static boolean insertIfAbsent(TupleTable tuples, Tuple<NodeId> tuple) {
        TupleIndex[] indexes = tuples.getIndexes();
        if ( !(indexes[0] instanceof TupleIndexRecord primary) ) {
            // Some other index implementation: ask it first.
            if ( indexes[0].find(tuple).hasNext() )
                return false;
            tuples.add(tuple);
            return true;
        }
        RangeIndex primaryIndex = primary.getRangeIndex();
        if ( !primaryIndex.insert(TupleLib.record(primaryIndex.getRecordFactory(), tuple, primary.getMapping())) )
            return false;
        for ( int i = 1 ; i < indexes.length ; i++ ) {
            if ( indexes[i] != null )
                indexes[i].add(tuple);
        }
        return true;
    }

    /** The term as TDB2 reads it back: an inline id decodes to the value's canonical form. */
    private static Node stored(Node written, NodeId id) {
        if ( !id.isInline() )
            return written;
        // Most inlined literals are integers already written canonically: keep those without
        // building a node (decoding costs about as much as TDB2's own encoding of the literal).
        if ( INTEGERS.contains(id.type()) && Long.toString(IntegerNode.unpack56(id.getValue56())).equals(written.getLiteralLexicalForm()) )
            return written;
        return NodeId.extract(id);
    }
}
