package org.fusekicdc.source.relational;

import java.util.Set;

import org.apache.jena.rdf.model.Property;
import org.apache.jena.rdf.model.ResourceFactory;

/** The mapping vocabulary of {@code cdc:table} descriptions (namespace of fuseki-cdc's configuration). */
public final class Vocab {
    public static final String NS = "https://w3id.org/fuseki-cdc#";

    public static final Property table = p("table");
    public static final Property r2rmlMapping = p("r2rmlMapping");
    static final Property tableName = p("tableName");
    static final Property subjectTemplate = p("subjectTemplate");
    static final Property clazz = p("class");
    static final Property graph = p("graph");
    static final Property column = p("column");
    static final Property columnName = p("columnName");
    static final Property predicate = p("predicate");
    static final Property datatype = p("datatype");
    static final Property language = p("language");
    static final Property objectTemplate = p("objectTemplate");

    static final Set<Property> TABLE_PROPERTIES = Set.of(tableName, subjectTemplate, clazz, graph, column);
    static final Set<Property> COLUMN_PROPERTIES = Set.of(columnName, predicate, datatype, language, objectTemplate);

    private Vocab() {}

    private static Property p(String local) {
        return ResourceFactory.createProperty(NS + local);
    }
}
