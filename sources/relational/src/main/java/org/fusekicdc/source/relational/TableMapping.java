package org.fusekicdc.source.relational;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.apache.jena.datatypes.RDFDatatype;
import org.apache.jena.datatypes.TypeMapper;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdf.model.RDFNode;
import org.apache.jena.rdf.model.Resource;
import org.apache.jena.rdf.model.Statement;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.CdcConfigException;

/**
 * How the rows of one table become triples: a subject IRI from a template over key columns,
 * rdf:type per class, one triple per mapped non-NULL column, optionally in a named graph. The
 * source runs it as the R2RML mapping it compiles to ({@link CompiledTables}).
 *
 * @param table    {@code schema.table}
 * @param subject  subject IRI template
 * @param classes  rdf:type objects of every row
 * @param graph    the graph the row's triples go in (Quad.defaultGraphIRI for the default graph)
 * @param columns  column mappings
 */
public record TableMapping(String table, IriTemplate subject, List<Node> classes, Node graph, List<ColumnMapping> columns) {

    /**
     * One column as one triple {@code subject predicate value}: a literal (with the column's
     * natural datatype, or the datatype or language given), or an IRI from a template.
     */
    public record ColumnMapping(String column, Node predicate, RDFDatatype datatype, String language, IriTemplate objectTemplate) {}

    public static TableMapping from(RDFNode node, String where) {
        String opt = RelationalSettings.TABLE.name();
        if ( !node.isResource() )
            throw new CdcConfigException(opt, where + ": cdc:table must be a table mapping [ cdc:tableName \"public.customer\" ; ... ], got " + node + ".");
        Resource r = node.asResource();
        checkProperties(r, where + ", cdc:table", Vocab.TABLE_PROPERTIES);
        String table = string(r, Vocab.tableName, where + ", cdc:table", "cdc:tableName \"public.customer\"");
        if ( !table.matches("[^.\\s]+\\.[^.\\s]+") )
            throw new CdcConfigException(Vocab.tableName.getLocalName(), where + ": cdc:tableName \"" + table + "\" must be schema.table, for example \"public.customer\".");
        String here = where + ", table " + table;
        IriTemplate subject = template(r, Vocab.subjectTemplate, here, true);
        List<Node> classes = new ArrayList<>();
        for ( Statement st : r.listProperties(Vocab.clazz).toList() ) {
            if ( !st.getObject().isURIResource() )
                throw new CdcConfigException(Vocab.clazz.getLocalName(), here + ": cdc:class must be an IRI such as ex:Customer, got " + st.getObject() + ".");
            classes.add(st.getObject().asNode());
        }
        Node graph = Quad.defaultGraphIRI;
        Statement g = single(r, Vocab.graph, here);
        if ( g != null ) {
            if ( !g.getObject().isURIResource() )
                throw new CdcConfigException(Vocab.graph.getLocalName(), here + ": cdc:graph must be a graph IRI such as <http://example.org/graph/customers>, got " + g.getObject() + ".");
            graph = g.getObject().asNode();
        }
        List<ColumnMapping> columns = new ArrayList<>();
        for ( Statement st : r.listProperties(Vocab.column).toList() )
            columns.add(column(st.getObject(), here));
        if ( columns.isEmpty() && classes.isEmpty() )
            throw new CdcConfigException(Vocab.column.getLocalName(), here + ": maps nothing; give at least one cdc:column [ cdc:columnName \"name\" ; cdc:predicate ex:name ] or a cdc:class.");
        return new TableMapping(table, subject, List.copyOf(classes), graph, List.copyOf(columns));
    }

    private static ColumnMapping column(RDFNode node, String where) {
        if ( !node.isResource() )
            throw new CdcConfigException(Vocab.column.getLocalName(), where + ": cdc:column must be [ cdc:columnName \"name\" ; cdc:predicate ex:name ], got " + node + ".");
        Resource r = node.asResource();
        checkProperties(r, where + ", cdc:column", Vocab.COLUMN_PROPERTIES);
        String column = string(r, Vocab.columnName, where + ", cdc:column", "cdc:columnName \"name\"");
        String here = where + ", column " + column;
        Statement p = single(r, Vocab.predicate, here);
        if ( p == null || !p.getObject().isURIResource() )
            throw new CdcConfigException(Vocab.predicate.getLocalName(), here + ": cdc:predicate is required and must be an IRI such as ex:name"
                                         + (p == null ? "" : ", got " + p.getObject()) + ".");
        Statement dt = single(r, Vocab.datatype, here);
        Statement lang = single(r, Vocab.language, here);
        IriTemplate object = r.hasProperty(Vocab.objectTemplate) ? template(r, Vocab.objectTemplate, here, false) : null;
        int given = (dt == null ? 0 : 1) + (lang == null ? 0 : 1) + (object == null ? 0 : 1);
        if ( given > 1 )
            throw new CdcConfigException(Vocab.datatype.getLocalName(), here + ": give at most one of cdc:datatype, cdc:language and cdc:objectTemplate"
                                         + " (a value is a typed literal, a language-tagged string or an IRI).");
        RDFDatatype datatype = null;
        if ( dt != null ) {
            if ( !dt.getObject().isURIResource() )
                throw new CdcConfigException(Vocab.datatype.getLocalName(), here + ": cdc:datatype must be a datatype IRI such as xsd:date, got " + dt.getObject() + ".");
            datatype = TypeMapper.getInstance().getSafeTypeByName(dt.getObject().asResource().getURI());
        }
        String language = null;
        if ( lang != null ) {
            language = lang.getObject().isLiteral() ? lang.getObject().asLiteral().getLexicalForm() : "";
            if ( !language.matches("[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*") )
                throw new CdcConfigException(Vocab.language.getLocalName(), here + ": cdc:language must be a language tag such as \"en\" or \"de-CH\", got " + lang.getObject() + ".");
        }
        return new ColumnMapping(column, p.getObject().asNode(), datatype, language, object);
    }

    private static void checkProperties(Resource r, String where, Set<org.apache.jena.rdf.model.Property> known) {
        for ( Statement st : r.listProperties().toList() ) {
            if ( st.getPredicate().getURI().startsWith(Vocab.NS) && !known.contains(st.getPredicate()) )
                throw new CdcConfigException(st.getPredicate().getLocalName(), where + ": unknown property cdc:" + st.getPredicate().getLocalName()
                                             + " here; known: " + known.stream().map(p -> "cdc:" + p.getLocalName()).sorted().toList() + " (see docs/sources.md).");
        }
    }

    private static Statement single(Resource r, org.apache.jena.rdf.model.Property p, String where) {
        List<Statement> l = r.listProperties(p).toList();
        if ( l.size() > 1 )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is given " + l.size() + " times; give it once.");
        return l.isEmpty() ? null : l.get(0);
    }

    private static String string(Resource r, org.apache.jena.rdf.model.Property p, String where, String example) {
        Statement st = single(r, p, where);
        if ( st == null || !st.getObject().isLiteral() || st.getObject().asLiteral().getLexicalForm().isBlank() )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is required (a string), for example " + example
                                         + (st == null ? "" : "; got " + st.getObject()) + ".");
        return st.getObject().asLiteral().getLexicalForm().trim();
    }

    private static IriTemplate template(Resource r, org.apache.jena.rdf.model.Property p, String where, boolean required) {
        Statement st = single(r, p, where);
        if ( st == null ) {
            if ( required )
                throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " is required, for example \"http://example.org/customer/{id}\".");
            return null;
        }
        if ( !st.getObject().isLiteral() )
            throw new CdcConfigException(p.getLocalName(), where + ": cdc:" + p.getLocalName() + " must be a string such as \"http://example.org/customer/{id}\", got " + st.getObject() + ".");
        try {
            return IriTemplate.parse(st.getObject().asLiteral().getLexicalForm(), where + ", cdc:" + p.getLocalName());
        } catch (IllegalArgumentException ex) {
            throw new CdcConfigException(p.getLocalName(), ex.getMessage());
        }
    }

    static Node iri(String s) {
        return NodeFactory.createURI(s);
    }
}
