package org.fusekicdc.bench;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.function.Consumer;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.vocabulary.RDF;

/**
 * The triples the relational sources write for a row of {@link PostgresSourceBench}'s table, as
 * {@link SourceBenchDatabase#create} fills it: the bench's {@code cdc:table} mapping with its
 * natural datatypes (text as a plain string, integers, canonical decimals, dates), the foreign key
 * as an IRI and {@code rdf:type}, in the default graph. Lets the store be measured with the same
 * triples and no source in between.
 */
final class SourceBenchTriples {
    static final int PER_ROW = 6;
    private static final String ITEM = "http://example.org/item/";
    private static final Node ITEM_CLASS = NodeFactory.createURI("http://example.org/Item");
    private static final Node NAME = NodeFactory.createURI("http://example.org/name");
    private static final Node QTY = NodeFactory.createURI("http://example.org/qty");
    private static final Node PRICE = NodeFactory.createURI("http://example.org/price");
    private static final Node BORN = NodeFactory.createURI("http://example.org/born");
    private static final Node REF = NodeFactory.createURI("http://example.org/ref");
    private static final LocalDate FIRST_BORN = LocalDate.of(2020, 1, 1);

    private SourceBenchTriples() {}

    /** The six triples of row {@code id} (1 and up). */
    static void row(int id, Consumer<Triple> out) {
        Node s = NodeFactory.createURI(ITEM + id);
        out.accept(Triple.create(s, NAME, NodeFactory.createLiteralString("item " + id)));
        out.accept(Triple.create(s, QTY, NodeFactory.createLiteralDT(Integer.toString(id % 100), XSDDatatype.XSDinteger)));
        out.accept(Triple.create(s, PRICE, NodeFactory.createLiteralDT(canonicalDecimal(BigDecimal.valueOf(id % 1000, 1)), XSDDatatype.XSDdecimal)));
        out.accept(Triple.create(s, BORN, NodeFactory.createLiteralDT(FIRST_BORN.plusDays(id % 1000).toString(), XSDDatatype.XSDdate)));
        out.accept(Triple.create(s, REF, NodeFactory.createURI(ITEM + id % 500)));
        out.accept(Triple.create(s, RDF.Nodes.type, ITEM_CLASS));
    }

    /** The source's form of an xsd:decimal: no trailing zeros, at least one digit after the point. */
    private static String canonicalDecimal(BigDecimal d) {
        BigDecimal s = d.stripTrailingZeros();
        return s.scale() <= 0 ? s.setScale(0).toPlainString() + ".0" : s.toPlainString();
    }
}
