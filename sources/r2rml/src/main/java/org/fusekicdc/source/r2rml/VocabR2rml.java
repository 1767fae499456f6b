package org.fusekicdc.source.r2rml;

import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;

/** The terms of the W3C R2RML vocabulary ({@code rr:}) that the mapping reader uses. */
public final class VocabR2rml {
    public static final String NS = "http://www.w3.org/ns/r2rml#";

    public static final Node TriplesMap = rr("TriplesMap");
    public static final Node logicalTable = rr("logicalTable");
    public static final Node tableName = rr("tableName");
    public static final Node sqlQuery = rr("sqlQuery");
    public static final Node sqlVersion = rr("sqlVersion");
    public static final Node subjectMap = rr("subjectMap");
    public static final Node subject = rr("subject");
    public static final Node predicateObjectMap = rr("predicateObjectMap");
    public static final Node predicateMap = rr("predicateMap");
    public static final Node predicate = rr("predicate");
    public static final Node objectMap = rr("objectMap");
    public static final Node object = rr("object");
    public static final Node graphMap = rr("graphMap");
    public static final Node graph = rr("graph");
    public static final Node template = rr("template");
    public static final Node column = rr("column");
    public static final Node constant = rr("constant");
    public static final Node termType = rr("termType");
    public static final Node datatype = rr("datatype");
    public static final Node language = rr("language");
    public static final Node clazz = rr("class");
    public static final Node parentTriplesMap = rr("parentTriplesMap");
    public static final Node joinCondition = rr("joinCondition");
    public static final Node child = rr("child");
    public static final Node parent = rr("parent");
    public static final Node IRI = rr("IRI");
    public static final Node BlankNode = rr("BlankNode");
    public static final Node Literal = rr("Literal");
    public static final Node defaultGraph = rr("defaultGraph");
    public static final Node SQL2008 = rr("SQL2008");

    private VocabR2rml() {}

    private static Node rr(String local) {
        return NodeFactory.createURI(NS + local);
    }
}
