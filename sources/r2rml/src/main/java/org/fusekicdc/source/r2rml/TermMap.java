package org.fusekicdc.source.r2rml;

import java.util.ArrayList;
import java.util.List;

import org.apache.jena.datatypes.RDFDatatype;
import org.apache.jena.datatypes.TypeMapper;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.irix.IRIException;
import org.apache.jena.irix.IRIx;

/**
 * A subject, predicate, object or graph map: a constant, a column or a template, with the term
 * type, language and datatype that apply (R2RML 7).
 *
 * @param constant set for a constant-valued map
 * @param column   set for a column-valued map (the name as the mapping writes it)
 * @param template set for a template-valued map
 * @param language null, or the language tag of generated literals
 * @param datatype null, or the datatype IRI of generated literals
 */
public record TermMap(Node constant, String column, Template template, TermType termType, String language, String datatype) {

    public enum TermType { IRI, BLANK_NODE, LITERAL }

    private static final String XSD = XSDDatatype.XSD + "#";

    /** The columns the map reads. */
    public List<String> columns() {
        if ( column != null )
            return List.of(column);
        return template != null ? template.columns() : List.of();
    }

    /**
     * The term for a row, or null when a column it reads is NULL.
     *
     * @param base the mapping's base IRI, put before IRIs that are not absolute
     * @throws R2rmlException for a value that gives no valid IRI
     */
    public Node generate(Row row, String base) {
        if ( constant != null )
            return constant;
        if ( column != null ) {
            Object value = row.value(column);
            if ( value == null )
                return null;
            if ( termType == TermType.LITERAL && language == null && datatype == null )
                return NaturalLiterals.literal(value);
            return term(NaturalLiterals.lexical(value), base);
        }
        String text = template.expand(col -> {
            Object value = row.value(col);
            return value == null ? null : NaturalLiterals.lexical(value);
        }, termType == TermType.IRI);
        return text == null ? null : term(text, base);
    }

    private Node term(String text, String base) {
        return switch (termType) {
            case IRI -> NodeFactory.createURI(absolute(text, base));
            case BLANK_NODE -> NodeFactory.createBlankNode(text);
            case LITERAL -> language != null ? NodeFactory.createLiteralLang(text, language)
                          : datatype != null ? typed(text)
                          : NodeFactory.createLiteralString(text);
        };
    }

    /** A literal of the map's datatype; a value that is not valid for an XSD datatype is a data error (R2RML 11). */
    private Node typed(String text) {
        RDFDatatype dt = TypeMapper.getInstance().getSafeTypeByName(datatype);
        if ( dt instanceof XSDDatatype && !dt.isValid(text) )
            throw new R2rmlException("The value \"" + text + "\" is not a valid " + (datatype.startsWith(XSD) ? "xsd:" + datatype.substring(XSD.length()) : "<" + datatype + ">")
                                     + " (rr:datatype). Fix the value, or the datatype of the column's map.");
        return NodeFactory.createLiteralDT(text, dt);
    }

    /** R2RML 11: an IRI that is not absolute gets the base put before it; the result must be a valid IRI. */
    static String absolute(String text, String base) {
        String iri = text;
        try {
            if ( IRIx.create(text).scheme() != null )
                return text;
            iri = base + text;
            if ( IRIx.create(iri).scheme() == null )
                throw new IRIException("no scheme");
            return iri;
        } catch (IRIException ex) {
            throw new R2rmlException("The value \"" + text + "\" gives no valid IRI (" + iri + ": " + ex.getMessage()
                                     + "). Map it with rr:template (values are percent-encoded) or as a literal.");
        }
    }

    /** A pattern every term of this map matches, to find in a dataset the terms it may have produced. */
    boolean mayProduce(Node term, String base) {
        if ( constant != null )
            return constant.equals(term);
        boolean typeMatches = switch (termType) {
            case IRI -> term.isURI();
            case BLANK_NODE -> term.isBlank();
            case LITERAL -> term.isLiteral()
                            && (language == null ? term.getLiteralLanguage().isEmpty() : language.equalsIgnoreCase(term.getLiteralLanguage()))
                            && (datatype == null || datatype.equals(term.getLiteralDatatypeURI()));
        };
        if ( !typeMatches || template == null || termType != TermType.IRI )
            return typeMatches;
        String uri = term.getURI();
        return template.shape("").matcher(uri).matches() || template.shape(base).matcher(uri).matches();
    }

    static List<Node> generateAll(List<TermMap> maps, Row row, String base) {
        List<Node> out = new ArrayList<>(maps.size());
        for ( TermMap m : maps ) {
            Node n = m.generate(row, base);
            if ( n != null )
                out.add(n);
        }
        return out;
    }
}
