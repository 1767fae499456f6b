package org.fusekicdc.source.r2rml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.vocabulary.RDF;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a user of a source sees when rows change: triples of other rows that join to a changed
 * row follow it, an {@code rr:sqlQuery} aggregate is kept up to date, {@code TRUNCATE} removes
 * exactly the table's triples, and events handled after the database moved on still end in the
 * mapping's output.
 */
class R2rmlMaintainerIT {
    private static final String MAPPING = """
        PREFIX rr: <http://www.w3.org/ns/r2rml#>
        PREFIX ex: <http://ex/>
        <#Dept> rr:logicalTable [ rr:tableName "dept" ] ;
            rr:subjectMap [ rr:template "http://ex/dept/{id}" ; rr:class ex:Unit ] ;
            rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "name" ] ] .
        <#Emp> rr:logicalTable [ rr:tableName "emp" ] ;
            rr:subjectMap [ rr:template "http://ex/emp/{id}" ; rr:class ex:Unit ] ;
            rr:predicateObjectMap [ rr:predicate ex:worksIn ;
                rr:objectMap [ rr:parentTriplesMap <#Dept> ; rr:joinCondition [ rr:child "dept" ; rr:parent "code" ] ] ] .
        <#Team> rr:logicalTable [ rr:tableName "emp" ] ;
            rr:subjectMap [ rr:template "http://ex/team/{dept}" ; rr:class ex:Team ] .
        <#Staff> rr:logicalTable [ rr:sqlQuery \"""
                SELECT d.code, COUNT(e.id) AS n FROM dept d LEFT JOIN emp e ON e.dept = d.code GROUP BY d.code\""" ] ;
            rr:subjectMap [ rr:template "http://ex/code/{code}" ] ;
            rr:predicateObjectMap [ rr:predicate ex:staff ; rr:objectMap [ rr:column "n" ] ] .
        """;

    private static Quad quad(String s, String p, String o) {
        return Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI(s), NodeFactory.createURI(p), NodeFactory.createURI(o));
    }

    private static Quad staff(String code, int n) {
        return Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI("http://ex/code/" + code), NodeFactory.createURI("http://ex/staff"),
                           NaturalLiterals.literal((long)n));
    }

    private static Map<String, Object> dept(int id, String code, String name) {
        return Map.of("id", id, "code", code, "name", name);
    }

    private static Map<String, Object> emp(int id, String dept) {
        return Map.of("id", id, "dept", dept);
    }

    private interface Body {
        void run(Connection c, R2rmlMaintainer m, DatasetGraph kept) throws SQLException;
    }

    private static void withDatabase(TestDb db, String name, Body body) throws SQLException {
        db.require();
        String ns = TestDb.namespaceFor(name, "maint");
        try (Connection c = db.fresh(ns)) {
            sql(c, "CREATE TABLE dept (id INTEGER PRIMARY KEY, code VARCHAR(10), name VARCHAR(20))",
                "CREATE TABLE emp (id INTEGER PRIMARY KEY, dept VARCHAR(10))",
                "INSERT INTO dept VALUES (1, 'A', 'Sales'), (2, 'B', 'Ops')",
                "INSERT INTO emp VALUES (10, 'A'), (11, 'A'), (12, 'B')");
            R2rmlMaintainer m = new R2rmlMaintainer(R2rmlMapping.parse(MAPPING, "http://ex/base/"), c);
            DatasetGraph kept = m.evaluator().evaluate();
            body.run(c, m, kept);
            Set<Quad> fresh = new HashSet<>();
            m.evaluator().evaluate(fresh::add);
            Set<Quad> actual = new HashSet<>();
            kept.find().forEachRemaining(actual::add);
            assertEquals(fresh, actual, "the maintained dataset is the mapping's output");
        } finally {
            db.drop(ns);
        }
    }

    private static void sql(Connection c, String... statements) throws SQLException {
        try (Statement st = c.createStatement()) {
            for ( String s : statements )
                st.execute(s);
        }
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void changingAParentKeyMovesTheTriplesOfTheRowsThatJoinIt(TestDb db) throws SQLException {
        withDatabase(db, "parentkey", (c, m, kept) -> {
            sql(c, "UPDATE dept SET code = 'C' WHERE id = 1");
            QuadDelta d = m.delta(RowEvent.update("dept", dept(1, "A", "Sales"), dept(1, "C", "Sales")), kept);
            d.applyTo(kept);
            assertEquals(Set.of(quad("http://ex/emp/10", "http://ex/worksIn", "http://ex/dept/1"),
                                quad("http://ex/emp/11", "http://ex/worksIn", "http://ex/dept/1"), staff("A", 2)), d.removed());
            assertEquals(Set.of(staff("C", 0)), d.added(), "no employee is in C; the aggregate query is re-evaluated");
        });
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void aTripleTwoRowsGiveStaysUntilTheLastOfThemGoes(TestDb db) throws SQLException {
        withDatabase(db, "shared", (c, m, kept) -> {
            Quad team = quad("http://ex/team/A", RDF.type.getURI(), "http://ex/Team");
            sql(c, "DELETE FROM emp WHERE id = 10");
            QuadDelta d = m.delta(RowEvent.delete("emp", emp(10, "A")), kept);
            assertFalse(d.removed().contains(team), "employee 11 is still in team A");
            d.applyTo(kept);
            sql(c, "DELETE FROM emp WHERE id = 11");
            d = m.delta(RowEvent.delete("emp", emp(11, "A")), kept);
            assertTrue(d.removed().contains(team), "no employee is left in team A");
            d.applyTo(kept);
        });
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void aBeforeImageWithoutTheSubjectsColumnsIsRefusedNamingTheFix(TestDb db) throws SQLException {
        withDatabase(db, "partial", (c, m, kept) -> {
            String msg = org.junit.jupiter.api.Assertions.assertThrows(R2rmlException.class,
                () -> m.delta(RowEvent.delete("emp", Map.of("id", 12)), kept)).getMessage();
            assertTrue(msg.contains("Column dept is not in the logical table") && msg.contains("REPLICA IDENTITY FULL"), msg);
        });
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void truncateRemovesExactlyTheTriplesThatNeedTheTable(TestDb db) throws SQLException {
        withDatabase(db, "truncate", (c, m, kept) -> {
            sql(c, "TRUNCATE TABLE emp");
            QuadDelta d = m.truncate("emp", kept);
            d.applyTo(kept);
            assertTrue(d.removed().contains(quad("http://ex/emp/12", "http://ex/worksIn", "http://ex/dept/2")));
            assertEquals(Set.of(staff("A", 0), staff("B", 0)), d.added());
            assertTrue(kept.contains(quad("http://ex/dept/1", RDF.type.getURI(), "http://ex/Unit")), "dept's own triples stay");
        });
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void aSnapshotAfterClearingEveryTableRebuildsTheOutput(TestDb db) throws SQLException {
        withDatabase(db, "snapshot", (c, m, kept) -> {
            sql(c, "DELETE FROM emp WHERE id = 11", "INSERT INTO dept VALUES (3, 'C', 'Lab')");
            for ( String table : List.of("dept", "emp") )
                m.clear(table, kept).applyTo(kept);
            assertTrue(kept.isEmpty(), "every quad came from the two tables");
            for ( RowEvent e : List.of(RowEvent.insert("dept", dept(1, "A", "Sales")), RowEvent.insert("dept", dept(2, "B", "Ops")),
                                       RowEvent.insert("dept", dept(3, "C", "Lab")), RowEvent.insert("emp", emp(10, "A")),
                                       RowEvent.insert("emp", emp(12, "B"))) )
                m.delta(e, kept).applyTo(kept);
        });
    }

    @ParameterizedTest
    @EnumSource(TestDb.class)
    void eventsHandledAfterTheDatabaseMovedOnEndInTheMappingsOutput(TestDb db) throws SQLException {
        withDatabase(db, "lag", (c, m, kept) -> {
            // Three transactions commit before the first event is handled, as when a stream lags.
            sql(c, "UPDATE emp SET dept = 'B' WHERE id = 10", "UPDATE dept SET code = 'A' WHERE id = 2", "DELETE FROM dept WHERE id = 1");
            // dept's before images with the key only, as PostgreSQL gives them by default (emp's
            // carries dept too: the team map's subject reads it).
            for ( RowEvent e : List.of(RowEvent.update("emp", emp(10, "A"), emp(10, "B")),
                                       RowEvent.update("dept", Map.of("id", 2), dept(2, "A", "Ops")),
                                       RowEvent.delete("dept", Map.of("id", 1))) )
                m.delta(e, kept).applyTo(kept);
        });
    }
}
