package org.fusekicdc.source.r2rml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading and validating mappings, and generating terms from rows, without a database. */
class R2rmlMappingTest {
    private static final String PREFIXES = """
        PREFIX rr: <http://www.w3.org/ns/r2rml#>
        PREFIX ex: <http://example.com/>
        """;
    private static final String BASE = "http://example.com/base/";

    private static R2rmlMapping parse(String turtle) {
        return R2rmlMapping.parse(PREFIXES + turtle, BASE);
    }

    private static String rejection(String turtle) {
        return assertThrows(R2rmlException.class, () -> parse(turtle)).getMessage();
    }

    @Test
    void readsTriplesMapsWithTheirParts() {
        R2rmlMapping m = parse("""
            <#Emp> rr:logicalTable [ rr:tableName "EMP" ] ;
                rr:subjectMap [ rr:template "http://data.example.com/employee/{EMPNO}" ; rr:class ex:Employee ; rr:graph ex:g ] ;
                rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "ENAME" ; rr:language "en" ] ] ,
                                      [ rr:predicate ex:department ; rr:objectMap [ rr:parentTriplesMap <#Dept> ;
                                            rr:joinCondition [ rr:child "DEPTNO" ; rr:parent "DEPTNO" ] ] ] .
            <#Dept> rr:logicalTable [ rr:sqlQuery "SELECT * FROM DEPT;" ; rr:sqlVersion rr:SQL2008 ] ;
                rr:subjectMap [ rr:template "http://data.example.com/dept/{DEPTNO}" ] .
            """);
        TriplesMap emp = m.triplesMap(BASE + "#Emp");
        assertEquals(List.of(NodeFactory.createURI("http://example.com/Employee")), emp.classes());
        assertEquals(2, emp.predicateObjectMaps().size());
        TriplesMap.PredicateObjectMap name = emp.predicateObjectMaps().stream().filter(p -> p.refs().isEmpty()).findFirst().orElseThrow();
        TriplesMap.PredicateObjectMap dept = emp.predicateObjectMaps().stream().filter(p -> !p.refs().isEmpty()).findFirst().orElseThrow();
        assertEquals("en", name.objects().get(0).language());
        assertEquals(List.of(new TriplesMap.JoinCondition("DEPTNO", "DEPTNO")), dept.refs().get(0).joins());
        assertEquals("SELECT * FROM DEPT", m.triplesMap(BASE + "#Dept").table().sqlQuery(), "a trailing semicolon is dropped");
    }

    @Test
    void everyProblemOfAMappingIsNamedAtOnce() {
        String msg = rejection("""
            <#A> rr:logicalTable [ rr:tableName "T" ] ;
                rr:subjectMap [ rr:template "http://x/{ID" ] ;
                rr:predicateObjectMap [ rr:predicate ex:p ; rr:objectMap [ rr:column "C" ; rr:language "en" ; rr:datatype ex:d ] ] .
            <#B> rr:logicalTable [ rr:tableName "U" ; rr:sqlQuery "SELECT 1" ] ; rr:subjectMap [ rr:column "X" ] .
            """);
        assertTrue(msg.contains("<" + BASE + "#A> subject map: rr:template \"http://x/{ID\" has a placeholder that is never closed"), msg);
        assertTrue(msg.contains("both rr:language and rr:datatype"), msg);
        assertTrue(msg.contains("<" + BASE + "#B>: its rr:logicalTable needs exactly one of rr:tableName and rr:sqlQuery"), msg);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        rr:subjectMap [ rr:column "ID" ] , [ rr:column "ID2" ]                              | has 2 subject maps
        rr:subjectMap [ rr:column "ID" ; rr:termType rr:Literal ]                            | rr:termType LITERAL is not allowed for a subject map
        rr:subjectMap [ rr:column "ID" ; rr:graphMap [ rr:column "G" ; rr:termType rr:Literal ] ] | is not allowed for a graph map
        rr:subjectMap [ rr:column "ID" ; rr:termType rr:Thing ]                              | is none of rr:IRI, rr:BlankNode, rr:Literal
        rr:subjectMap [ rr:column "ID" ; rr:template "x{ID}" ]                               | it needs exactly one
        rr:subjectMap [ rr:template "http://x/" ]                                            | no {column} placeholder
        rr:subjectMap [ rr:template "http://x/}{ID}" ]                                       | a '}' without '{'
        rr:subjectMap [ rr:column "ID" ] ; rr:predicateObjectMap [ rr:predicate ex:p ]       | has no rr:object or rr:objectMap
        rr:subjectMap [ rr:column "ID" ] ; rr:predicateObjectMap [ rr:predicate ex:p ; rr:objectMap [ rr:column "C" ; rr:language "english" ] ] | is not a valid language tag
        rr:subjectMap [ rr:column "ID" ] ; rr:predicateObjectMap [ rr:predicate ex:p ; rr:objectMap [ rr:parentTriplesMap <#Nowhere> ] ] | is not a triples map of the mapping
        """)
    void aWrongTriplesMapIsRejectedWithTheReason(String body, String expected) {
        String msg = rejection("<#M> rr:logicalTable [ rr:tableName \"T\" ] ; " + body + " .");
        assertTrue(msg.contains(expected), msg);
    }

    @Test
    void missingLogicalTableAndUnknownSqlVersionAreRejected() {
        assertTrue(rejection("<#M> a rr:TriplesMap ; rr:subjectMap [ rr:column \"ID\" ] .").contains("has 0 rr:logicalTable"));
        assertTrue(rejection("<#M> rr:logicalTable [ rr:sqlQuery \"SELECT 1\" ; rr:sqlVersion rr:SQL1979 ] ; rr:subjectMap [ rr:column \"ID\" ] .")
                       .contains("not a known SQL version identifier"));
    }

    @Test
    void aReferenceWithoutJoinNeedsTheSameLogicalTable() {
        String msg = rejection("""
            <#A> rr:logicalTable [ rr:tableName "T" ] ; rr:subjectMap [ rr:column "ID" ] ;
                rr:predicateObjectMap [ rr:predicate ex:p ; rr:objectMap [ rr:parentTriplesMap <#B> ] ] .
            <#B> rr:logicalTable [ rr:tableName "U" ] ; rr:subjectMap [ rr:column "ID" ] .
            """);
        assertTrue(msg.contains("has no rr:joinCondition, but the two logical tables differ"), msg);
    }

    @Test
    void templateValuesAreIriSafeInIrisAndRawInLiterals() {
        Template t = Template.parse("http://example.com/{A}/\\{literal\\}/{\"B\"}", "test");
        assertEquals(List.of("A", "\"B\""), t.columns());
        Map<String, String> row = Map.of("A", "Venus Williams/ü", "\"B\"", "a-b_c.d~e");
        assertEquals("http://example.com/Venus%20Williams%2F%C3%BC/{literal}/a-b_c.d~e", t.expand(row::get, true));
        assertEquals("http://example.com/Venus Williams/ü/{literal}/a-b_c.d~e", t.expand(row::get, false));
        Map<String, String> withNull = new HashMap<>();
        withNull.put("A", "x");
        assertNull(t.expand(withNull::get, true), "a NULL column gives no term");
    }

    @Test
    void naturalLiteralsUseCanonicalForms() {
        assertLiteral("10", XSDDatatype.XSDinteger, 10);
        assertLiteral("1.5", XSDDatatype.XSDdecimal, new BigDecimal("1.50"));
        assertLiteral("8.025E1", XSDDatatype.XSDdouble, 80.25f);
        assertLiteral("1.0E0", XSDDatatype.XSDdouble, 1.0d);
        assertLiteral("-1.7E-3", XSDDatatype.XSDdouble, -0.0017d);
        assertLiteral("true", XSDDatatype.XSDboolean, true);
        assertLiteral("1981-10-10", XSDDatatype.XSDdate, LocalDate.of(1981, 10, 10));
        assertLiteral("2009-10-10T12:12:22", XSDDatatype.XSDdateTime, LocalDateTime.of(2009, 10, 10, 12, 12, 22));
        assertLiteral("2009-10-10T12:12:22.5", XSDDatatype.XSDdateTime, LocalDateTime.of(2009, 10, 10, 12, 12, 22, 500_000_000));
        assertLiteral("00FF10", XSDDatatype.XSDhexBinary, new byte[] {0, -1, 16});
        assertLiteral("Venus", XSDDatatype.XSDstring, "Venus");
    }

    private static void assertLiteral(String lexical, XSDDatatype type, Object value) {
        Node n = NaturalLiterals.literal(NaturalLiterals.normalise(value));
        assertEquals(lexical, n.getLiteralLexicalForm());
        assertEquals(type.getURI(), n.getLiteralDatatypeURI());
    }

    @Test
    void anUnknownColumnIsADataErrorNamingTheColumns() {
        Row row = new Row(Map.of("ID", 1, "Name", "Venus"));
        assertEquals("Venus", row.value("name"), "an undelimited name matches ignoring case");
        String msg = assertThrows(R2rmlException.class, () -> row.value("\"name\"")).getMessage();
        assertTrue(msg.contains("Column \"name\" is not in the logical table") && msg.contains("ID") && msg.contains("Name"), msg);
    }

    @Test
    void relativeIrisGetTheBaseAndInvalidOnesAreDataErrors() {
        assertEquals(BASE + "Bob", TermMap.absolute("Bob", BASE));
        assertEquals("http://example.com/ns#Jhon", TermMap.absolute("http://example.com/ns#Jhon", BASE));
        assertTrue(assertThrows(R2rmlException.class, () -> TermMap.absolute("Emily Smith", BASE)).getMessage().contains("gives no valid IRI"));
    }
}
