package org.fusekicdc.source.relational;

/**
 * The sources' integration tests' mapping with {@code cdc:table}: {@code customer} (subject
 * customer/{id}, class ex:Customer, graph g/customers, a column per natural type, one with a
 * language, a foreign key to a country as an IRI) and {@code country} (ex:label), in the test's
 * namespace.
 */
public final class CustomerTables {
    private CustomerTables() {}

    /** The two {@code cdc:table} descriptions, ending the source description; {@code extraColumns}: more customer columns, each after a comma. */
    public static String mapping(String namespace, String extraColumns) {
        return """
            cdc:table [
                cdc:tableName "%s.customer" ;
                cdc:subjectTemplate "http://example.org/customer/{id}" ;
                cdc:class ex:Customer ;
                cdc:graph <http://example.org/g/customers> ;
                cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] ,
                           [ cdc:columnName "born" ; cdc:predicate ex:born ] ,
                           [ cdc:columnName "score" ; cdc:predicate ex:score ] ,
                           [ cdc:columnName "bio" ; cdc:predicate ex:bio ; cdc:language "en" ] %s,
                           [ cdc:columnName "country" ; cdc:predicate ex:country ; cdc:objectTemplate "http://example.org/country/{country}" ]
            ] ;
            cdc:table [
                cdc:tableName "%s.country" ;
                cdc:subjectTemplate "http://example.org/country/{code}" ;
                cdc:class ex:Country ;
                cdc:column [ cdc:columnName "name" ; cdc:predicate ex:label ]
            ] .
            """.formatted(namespace, extraColumns, namespace);
    }
}
