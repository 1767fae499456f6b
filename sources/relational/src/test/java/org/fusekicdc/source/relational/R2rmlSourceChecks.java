package org.fusekicdc.source.relational;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

import org.apache.jena.graph.Node;
import org.apache.jena.riot.out.NodeFmtLib;
import org.apache.jena.riot.process.normalize.NormalizeRDFTerms;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.apache.jena.system.Txn;
import org.fusekicdc.core.testing.TestSupport;
import org.fusekicdc.source.r2rml.R2rmlEvaluator;
import org.fusekicdc.source.r2rml.R2rmlMapping;

/**
 * What the sources' R2RML integration tests share: the mapping of two joined tables whose item
 * table has a column per type under test, and the check that the dataset a source keeps equals a
 * fresh evaluation of the whole mapping over the database.
 */
public final class R2rmlSourceChecks {
    private R2rmlSourceChecks() {}

    /**
     * The mapping of {@code schema.item} (subject item/{id}, ex:name in English, ex:code an IRI
     * from column code, one natural literal per column of {@code typedColumns}) and
     * {@code schema.tag} (ex:label, and ex:tags joining tag.item_code to item.code), in graph ex:g.
     */
    public static String mapping(String schema, List<String> typedColumns) {
        StringBuilder poms = new StringBuilder();
        for ( String c : typedColumns )
            poms.append(" ,\n        [ rr:predicate ex:").append(c).append(" ; rr:objectMap [ rr:column \"").append(c).append("\" ] ]");
        return """
            @base <http://example.org/> .
            PREFIX rr: <http://www.w3.org/ns/r2rml#>
            PREFIX ex: <http://example.org/>
            <#Item> rr:logicalTable [ rr:tableName "SCHEMA.item" ] ;
                rr:subjectMap [ rr:template "item/{id}" ; rr:class ex:Item ; rr:graph ex:g ] ;
                rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "name" ; rr:language "en" ] ] ,
                    [ rr:predicate ex:code ; rr:objectMap [ rr:template "code/{code}" ] ]POMS .
            <#Tag> rr:logicalTable [ rr:tableName "SCHEMA.tag" ] ;
                rr:subjectMap [ rr:template "tag/{id}" ; rr:class ex:Tag ; rr:graph ex:g ] ;
                rr:predicateObjectMap [ rr:predicate ex:label ; rr:objectMap [ rr:column "label" ] ] ,
                    [ rr:predicate ex:tags ; rr:objectMap [ rr:parentTriplesMap <#Item> ; rr:joinCondition [ rr:child "item_code" ; rr:parent "code" ] ] ] .
            """.replace("SCHEMA", schema).replace("POMS", poms);
    }

    /** Quads as sorted N-Quads-like lines, literals in canonical form (TDB2 keeps values, not lexical forms). */
    public static Set<String> lines(Iterable<Quad> quads) {
        Set<String> s = new TreeSet<>();
        for ( Quad q : quads ) {
            Node o = NormalizeRDFTerms.get().normalize(q.getObject());
            s.add(NodeFmtLib.strNT(q.getGraph()) + " " + NodeFmtLib.strNT(q.getSubject()) + " " + NodeFmtLib.strNT(q.getPredicate()) + " " + NodeFmtLib.strNT(o));
        }
        return s;
    }

    public static Set<String> datasetLines(DatasetGraph dsg) {
        return Txn.calculateRead(dsg, () -> lines(() -> dsg.find()));
    }

    /** The whole mapping's output over the database now. */
    public static Set<String> freshLines(R2rmlMapping mapping, Callable<Connection> connect) {
        try (Connection c = connect.call()) {
            DatasetGraph out = new R2rmlEvaluator(mapping, c).evaluate();
            return lines(() -> out.find());
        } catch (Exception ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Wait until the dataset equals a fresh mapping; else fail listing the quads missing and extra. */
    public static void awaitEqualsFreshMapping(String after, Duration wait, DatasetGraph dsg, R2rmlMapping mapping, Callable<Connection> connect,
                                               Supplier<Object> status) throws InterruptedException {
        List<Set<String>> last = new ArrayList<>(List.of(Set.of(), Set.of()));
        try {
            TestSupport.await(after, wait, () -> {
                last.set(0, datasetLines(dsg));
                last.set(1, freshLines(mapping, connect));
                return last.get(0).equals(last.get(1));
            });
        } catch (AssertionError timedOut) {
            Set<String> missing = new TreeSet<>(last.get(1));
            missing.removeAll(last.get(0));
            Set<String> extra = new TreeSet<>(last.get(0));
            extra.removeAll(last.get(1));
            assertEquals(missing + "", extra + "", after + ": the dataset differs from a fresh mapping (left: missing, right: extra; status " + status.get() + ")");
        }
    }
}
