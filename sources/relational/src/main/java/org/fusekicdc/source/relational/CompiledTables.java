package org.fusekicdc.source.relational;

import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.shared.PrefixMapping;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.sparql.util.FmtUtils;
import org.fusekicdc.source.r2rml.R2rmlMapping;

/**
 * {@code cdc:table} mappings compiled to the R2RML mapping they stand for: per table one triples
 * map over the table by name, its subject template with the classes and the graph, and one
 * predicate-object map per column ({@code rr:column} with its datatype or language, or an IRI
 * {@code rr:template}). The source runs the compiled mapping like a written one, so a column's
 * literal is R2RML's natural literal unless the column gives a datatype or language.
 */
public final class CompiledTables {
    /** The base of the compiled mapping: its triples maps are named in it; generated IRIs are absolute anyway. */
    static final String BASE = "urn:fuseki-cdc:table:";

    private CompiledTables() {}

    /** The mapping, as {@link #turtle} writes it. */
    public static R2rmlMapping mapping(List<TableMapping> tables) {
        return R2rmlMapping.parse(turtle(tables), BASE);
    }

    /** The mapping in Turtle, to read or to copy into an R2RML mapping file. */
    public static String turtle(List<TableMapping> tables) {
        StringBuilder sb = new StringBuilder("PREFIX rr: <http://www.w3.org/ns/r2rml#>\n");
        for ( TableMapping t : tables ) {
            sb.append('\n').append(iri(BASE + t.table())).append('\n');
            sb.append("    rr:logicalTable [ rr:tableName ").append(string(t.table())).append(" ] ;\n");
            sb.append("    rr:subjectMap [ rr:template ").append(string(template(t.subject())));
            for ( Node c : t.classes() )
                sb.append(" ; rr:class ").append(term(c));
            if ( !Quad.isDefaultGraph(t.graph()) )
                sb.append(" ; rr:graph ").append(term(t.graph()));
            sb.append(" ]");
            for ( TableMapping.ColumnMapping c : t.columns() ) {
                sb.append(" ;\n    rr:predicateObjectMap [ rr:predicate ").append(term(c.predicate())).append(" ; rr:objectMap [ ");
                if ( c.objectTemplate() != null ) {
                    sb.append("rr:template ").append(string(template(c.objectTemplate())));
                } else {
                    sb.append("rr:column ").append(string(c.column()));
                    if ( c.datatype() != null )
                        sb.append(" ; rr:datatype ").append(iri(c.datatype().getURI()));
                    if ( c.language() != null )
                        sb.append(" ; rr:language ").append(string(c.language()));
                }
                sb.append(" ] ]");
            }
            sb.append(" .\n");
        }
        return sb.toString();
    }

    /** The template in R2RML's syntax: the same placeholders, a backslash in the text escaped. */
    private static String template(IriTemplate t) {
        StringBuilder sb = new StringBuilder(t.parts().get(0).replace("\\", "\\\\"));
        for ( int k = 0 ; k < t.columns().size() ; k++ )
            sb.append('{').append(t.columns().get(k)).append('}').append(t.parts().get(k + 1).replace("\\", "\\\\"));
        return sb.toString();
    }

    private static String string(String s) {
        return term(NodeFactory.createLiteralString(s));
    }

    private static String iri(String s) {
        return term(NodeFactory.createURI(s));
    }

    /** The term in Turtle, IRIs written in full. */
    private static String term(Node n) {
        return FmtUtils.stringForNode(n, PrefixMapping.Factory.create());
    }
}
