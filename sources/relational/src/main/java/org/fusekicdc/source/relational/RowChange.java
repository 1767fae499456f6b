package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.datatypes.RDFDatatype;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.vocabulary.RDF;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/**
 * One row change turned into RDF, ready to apply: the row's subject, graph and, unless the row
 * was deleted, the triples it has now. Applying it makes the dataset hold exactly those values
 * for the mapping's predicates of that subject: an insert adds them, an update replaces only the
 * values that differ, a delete removes the row's triples. NULL columns give no triple.
 *
 * @param mapping the table's mapping
 * @param subject the row's subject IRI
 * @param values  predicate to objects; null for a delete
 * @param key     the row's key, for messages
 */
record RowChange(TableMapping mapping, Node subject, Map<Node, Set<Node>> values, String key) implements RowMapper.DatasetChange {

    /**
     * Map a change event's row.
     *
     * @param op     Debezium op: c, u, r (snapshot read) or d
     * @param keyRow the event key (primary key columns), may be null for tables without one
     * @param row    the after image (c, u, r) or before image (d)
     */
    static RowChange of(TableMapping m, String op, Struct keyRow, Struct row) {
        boolean delete = op.equals("d");
        Struct subjectRow = delete && keyRow != null ? keyRow : row;
        if ( subjectRow == null )
            throw new UnmappableRowException("the change event carries no row (op " + op + ")");
        String subject = m.subject().expand(col -> {
            Struct from = subjectRow.schema().field(col) != null ? subjectRow : row;
            if ( from == null || from.schema().field(col) == null )
                throw new UnmappableRowException("cdc:subjectTemplate uses column '" + col + "', which a " + (delete ? "delete" : "change")
                                                 + " event does not carry; use primary key columns in the subject template (or set REPLICA IDENTITY FULL on the table)");
            RowValues.Value v = RowValues.value(from, col);
            return v == null ? null : v.lexical();
        });
        if ( subject == null )
            throw new UnmappableRowException("a column of cdc:subjectTemplate \"" + m.subject().text() + "\" is NULL");
        Node s = NodeFactory.createURI(subject);
        String key = keyText(keyRow != null ? keyRow : row);
        if ( delete )
            return new RowChange(m, s, null, key);
        Map<Node, Set<Node>> values = new LinkedHashMap<>();
        for ( TableMapping.ColumnMapping c : m.columns() ) {
            Set<Node> objects = values.computeIfAbsent(c.predicate(), p -> new LinkedHashSet<>());
            Node o = object(c, row);
            if ( o != null )
                objects.add(o);
        }
        return new RowChange(m, s, values, key);
    }

    private static Node object(TableMapping.ColumnMapping c, Struct row) {
        if ( c.objectTemplate() != null ) {
            String iri = c.objectTemplate().expand(col -> {
                RowValues.Value v = RowValues.value(row, col);
                return v == null ? null : v.lexical();
            });
            return iri == null ? null : NodeFactory.createURI(iri);
        }
        RowValues.Value v = RowValues.value(row, c.column());
        if ( v == null )
            return null;
        if ( c.language() != null )
            return NodeFactory.createLiteralLang(v.lexical(), c.language());
        RDFDatatype dt = c.datatype() != null ? c.datatype() : v.datatype();
        if ( dt instanceof XSDDatatype && !dt.isValid(v.lexical()) )
            throw new UnmappableRowException("column '" + c.column() + "' value \"" + v.lexical() + "\" is not a valid " + shortName(dt)
                                             + "; fix the value or the column's cdc:datatype");
        return dt.equals(XSDDatatype.XSDstring) ? NodeFactory.createLiteralString(v.lexical()) : NodeFactory.createLiteralDT(v.lexical(), dt);
    }

    private static String shortName(RDFDatatype dt) {
        return dt.getURI().startsWith(XSDDatatype.XSD + "#") ? "xsd:" + dt.getURI().substring(XSDDatatype.XSD.length() + 1) : "<" + dt.getURI() + ">";
    }

    /** The key of a row as {@code col=value, ...}, for messages. */
    static String keyText(Struct keyRow) {
        if ( keyRow == null )
            return "(no key)";
        List<String> parts = new ArrayList<>();
        for ( Field f : keyRow.schema().fields() )
            parts.add(f.name() + "=" + keyRow.get(f));
        return String.join(", ", parts);
    }

    /**
     * Make the dataset hold this row's state; runs inside the caller's write transaction. One
     * lookup of the subject's triples serves every mapped predicate: a new subject (an insert, a
     * snapshot row) then costs one index probe instead of one per predicate and value.
     */
    @Override
    public void apply(DatasetGraph dsg) {
        Node g = mapping.graph();
        Map<Node, List<Quad>> haveByPredicate = new HashMap<>();
        dsg.find(g, subject, Node.ANY, Node.ANY).forEachRemaining(q -> haveByPredicate.computeIfAbsent(q.getPredicate(), p -> new ArrayList<>()).add(q));
        for ( Node p : mapping.predicates() ) {
            Set<Node> want = values == null ? Set.of() : values.getOrDefault(p, Set.of());
            List<Quad> have = haveByPredicate.get(p);
            if ( have == null ) {
                want.forEach(o -> dsg.add(g, subject, p, o));
                continue;
            }
            for ( Quad q : have ) {
                // Value comparison: a store may hold a literal in another lexical form of the same value.
                if ( want.stream().noneMatch(w -> w.equals(q.getObject()) || w.sameValueAs(q.getObject())) )
                    dsg.delete(q);
            }
            for ( Node o : want ) {
                if ( !dsg.contains(g, subject, p, o) )
                    dsg.add(g, subject, p, o);
            }
        }
        for ( Node c : mapping.classes() ) {
            if ( values == null )
                dsg.delete(g, subject, RDF.Nodes.type, c);
            else
                dsg.add(g, subject, RDF.Nodes.type, c);
        }
    }
}
