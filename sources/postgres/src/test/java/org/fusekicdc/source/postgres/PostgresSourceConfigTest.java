package org.fusekicdc.source.postgres;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.jena.graph.Graph;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.CdcConfigException;
import org.fusekicdc.core.internal.capture.CaptureConfig;
import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.internal.log.ChangeLogConfig;
import org.fusekicdc.core.source.Source;
import org.fusekicdc.source.r2rml.R2rmlMapping;
import org.fusekicdc.source.r2rml.TriplesMap;
import org.fusekicdc.source.relational.CompiledTables;
import org.fusekicdc.source.relational.TestSources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Configuration mistakes stop start-up with a message naming the option and the fix; nothing connects when a source is only built. */
class PostgresSourceConfigTest {
    @TempDir
    Path work;
    ChangeLog log;
    CapturingDatasetGraph dsg;

    @BeforeEach
    void setUp() {
        log = ChangeLog.open(ChangeLogConfig.defaults(work.resolve("changes"), "ds"));
        dsg = CapturingDatasetGraph.create(DatasetGraphFactory.createTxnMem(), log, CaptureConfig.defaults(work.resolve("spill")));
    }

    @AfterEach
    void tearDown() {
        log.close();
    }

    static final String GOOD_TABLE = """
        cdc:table [ cdc:tableName "public.customer" ; cdc:subjectTemplate "http://example.org/customer/{id}" ;
                    cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] ]""";

    static final String GOOD_R2RML = """
        PREFIX rr: <http://www.w3.org/ns/r2rml#>
        <#Customer> rr:logicalTable [ rr:tableName "customer" ] ;
            rr:subjectMap [ rr:template "http://example.org/customer/{id}" ] ;
            rr:predicateObjectMap [ rr:predicate <http://example.org/name> ; rr:objectMap [ rr:column "name" ] ] .""";

    static String source(String options, String table) {
        return "<#source> a cdc:PostgresSource ; cdc:database \"shop\" ; cdc:user \"u\" ; " + options + " " + table + " .";
    }

    Source build(String turtle, Map<String, String> env) {
        return TestSources.source(new PostgresSourceProvider(), dsg, "pg", turtle, work.resolve("source"), env);
    }

    static Stream<Arguments> mistakes() {
        return Stream.of(
            Arguments.of("no table", source("", "cdc:slotName \"s\""), "table", "a mapping is required: give cdc:r2rmlMapping"),
            Arguments.of("R2RML and cdc:table", source("cdc:r2rmlMapping '''" + GOOD_R2RML + "''' ;", GOOD_TABLE), "r2rmlMapping", "gives both cdc:r2rmlMapping and cdc:table"),
            Arguments.of("R2RML file missing", source("cdc:r2rmlMapping <file:///nonexistent/no-such-mapping.r2rml.ttl> ;", ""), "r2rmlMapping",
                         "no-such-mapping.r2rml.ttl does not exist or cannot be read. A relative IRI"),
            Arguments.of("R2RML not a file", source("cdc:r2rmlMapping <http://example.org/m.ttl> ;", ""), "r2rmlMapping", "is not a file"),
            Arguments.of("R2RML invalid", source("cdc:r2rmlMapping '''PREFIX rr: <http://www.w3.org/ns/r2rml#> <#M> rr:logicalTable [ rr:tableName \"c\" ] .''' ;", ""),
                         "r2rmlMapping", "is not a valid R2RML mapping"),
            Arguments.of("R2RML without a table", source("cdc:r2rmlMapping '''" + GOOD_R2RML.replace("rr:tableName \"customer\"", "rr:sqlQuery \"SELECT 1 AS id\"")
                         + "''' ;", ""), "r2rmlMapping", "names no table with rr:tableName"),
            Arguments.of("no database", "<#source> a cdc:PostgresSource ; cdc:user \"u\" ; " + GOOD_TABLE + " .", "database", "cdc:database is required"),
            Arguments.of("password variable name", source("cdc:passwordEnv \"my secret\" ;", GOOD_TABLE), "passwordEnv", "name of an environment variable"),
            Arguments.of("slot name", source("cdc:slotName \"Bad-Slot\" ;", GOOD_TABLE), "slotName", "lower-case letters"),
            Arguments.of("snapshot mode", source("cdc:snapshotMode \"sometimes\" ;", GOOD_TABLE), "snapshotMode", "must be one of initial, no_data, when_needed"),
            Arguments.of("managed Debezium property", source("cdc:debeziumProperties \"slot.name=x\" ;", GOOD_TABLE), "debeziumProperties", "sets slot.name"),
            Arguments.of("table name", source("", "cdc:table [ cdc:tableName \"customer\" ; cdc:subjectTemplate \"http://e/{id}\" ; cdc:class ex:C ]"),
                         "tableName", "must be schema.table"),
            Arguments.of("no subject template", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:class ex:C ]"), "subjectTemplate", "is required"),
            Arguments.of("template without placeholder", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:subjectTemplate \"http://e/x\" ; cdc:class ex:C ]"),
                         "subjectTemplate", "no {column} placeholder"),
            Arguments.of("relative template", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:subjectTemplate \"c/{id}\" ; cdc:class ex:C ]"),
                         "subjectTemplate", "does not start with a scheme"),
            Arguments.of("datatype and language", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:subjectTemplate \"http://e/{id}\" ;"
                         + " cdc:column [ cdc:columnName \"n\" ; cdc:predicate ex:n ; cdc:datatype xsd:string ; cdc:language \"en\" ] ]"),
                         "datatype", "at most one of cdc:datatype, cdc:language and cdc:objectTemplate"),
            Arguments.of("unknown mapping property", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:subjectTemplate \"http://e/{id}\" ; cdc:colum [] ]"),
                         "colum", "unknown property cdc:colum"),
            Arguments.of("language tag", source("", "cdc:table [ cdc:tableName \"public.c\" ; cdc:subjectTemplate \"http://e/{id}\" ;"
                         + " cdc:column [ cdc:columnName \"n\" ; cdc:predicate ex:n ; cdc:language \"english language\" ] ]"),
                         "language", "language tag"),
            Arguments.of("table twice", source("", GOOD_TABLE + " ; " + GOOD_TABLE), "table", "mapped twice"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mistakes")
    void aMistakeStopsStartUpNamingTheOptionAndTheFix(String what, String turtle, String option, String message) {
        CdcConfigException ex = assertThrows(CdcConfigException.class, () -> build(turtle, Map.of()));
        assertEquals(option, ex.option(), ex.getMessage());
        assertTrue(ex.getMessage().contains(message), ex.getMessage());
    }

    @Test
    void aPasswordVariableThatIsNotSetStopsStartWithItsNameButNotTheBuild() {
        Source s = build(source("cdc:passwordEnv \"PG_PASSWORD_FOR_TEST\" ;", GOOD_TABLE), Map.of());
        CdcConfigException ex = assertThrows(CdcConfigException.class, s::start);
        assertTrue(ex.getMessage().contains("PG_PASSWORD_FOR_TEST") && ex.getMessage().contains("not set"), ex.getMessage());
    }

    @Test
    void defaultsNameTheSlotAfterDatasetAndSourceAndTheGraphIsTheDefaultGraph() {
        Source s = build(source("", GOOD_TABLE), Map.of());
        PostgresSourceConfig c = PostgresSourceConfig.from(((PostgresSource)s).context());
        assertEquals("fuseki_cdc_ds_pg", c.slotName());
        assertEquals("fuseki_cdc_ds_pg", c.publicationName());
        assertEquals("initial", c.common().snapshotMode());
        assertEquals(Quad.defaultGraphIRI, c.common().tables().get(0).graph());
    }

    @Test
    void anR2rmlMappingFollowsTheTablesItNamesInSchemaPublicByDefault() throws Exception {
        java.nio.file.Files.writeString(work.resolve("shop.r2rml.ttl"), """
            PREFIX rr: <http://www.w3.org/ns/r2rml#>
            <#Customer> rr:logicalTable [ rr:tableName "customer" ] ; rr:subjectMap [ rr:template "http://example.org/customer/{id}" ; rr:class <http://example.org/P> ] .
            <#Country> rr:logicalTable [ rr:tableName "sales.country" ] ; rr:subjectMap [ rr:template "http://example.org/c/{code}" ; rr:class <http://example.org/C> ] .
            """);
        String turtle = source("cdc:r2rmlMapping <" + work.resolve("shop.r2rml.ttl").toUri() + "> ;", "");
        PostgresSourceConfig c = PostgresSourceConfig.from(((PostgresSource)build(turtle, Map.of())).context());
        assertEquals(java.util.Set.of("public.customer", "sales.country"), java.util.Set.copyOf(c.common().capturedTables()));
        assertTrue(c.common().tables().isEmpty());
    }

    @Test
    void aTableMappingCompilesToTheR2rmlMappingItStandsFor() {
        String table = """
            cdc:table [ cdc:tableName "public.customer" ; cdc:subjectTemplate "http://example.org/customer/{id}" ;
                        cdc:class ex:Customer ; cdc:graph <http://example.org/g> ;
                        cdc:column [ cdc:columnName "name" ; cdc:predicate ex:name ] ,
                                   [ cdc:columnName "born" ; cdc:predicate ex:born ; cdc:datatype xsd:date ] ,
                                   [ cdc:columnName "motto" ; cdc:predicate ex:motto ; cdc:language "en" ] ,
                                   [ cdc:columnName "country" ; cdc:predicate ex:country ; cdc:objectTemplate "http://example.org/country/{country}" ] ]""";
        String handWritten = """
            PREFIX rr:  <http://www.w3.org/ns/r2rml#>
            PREFIX ex:  <http://example.org/>
            PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
            <urn:fuseki-cdc:table:public.customer>
                rr:logicalTable [ rr:tableName "public.customer" ] ;
                rr:subjectMap [ rr:template "http://example.org/customer/{id}" ; rr:class ex:Customer ; rr:graph <http://example.org/g> ] ;
                rr:predicateObjectMap [ rr:predicate ex:name ; rr:objectMap [ rr:column "name" ] ] ,
                    [ rr:predicate ex:born ; rr:objectMap [ rr:column "born" ; rr:datatype xsd:date ] ] ,
                    [ rr:predicate ex:motto ; rr:objectMap [ rr:column "motto" ; rr:language "en" ] ] ,
                    [ rr:predicate ex:country ; rr:objectMap [ rr:template "http://example.org/country/{country}" ] ] .
            """;
        PostgresSourceConfig c = PostgresSourceConfig.from(((PostgresSource)build(source("", table), Map.of())).context());
        Graph compiled = RDFParser.fromString(CompiledTables.turtle(c.common().tables()), Lang.TURTLE).toGraph();
        Graph expected = RDFParser.fromString(handWritten, Lang.TURTLE).toGraph();
        assertTrue(compiled.isIsomorphicWith(expected), () -> "compiled:\n" + CompiledTables.turtle(c.common().tables()));
        TriplesMap want = R2rmlMapping.parse(handWritten, "http://localhost/").triplesMaps().get(0);
        TriplesMap runs = c.common().r2rml().triplesMaps().get(0);
        assertEquals(want.subject(), runs.subject(), "the source runs the compiled mapping");
        assertEquals(java.util.Set.copyOf(want.predicateObjectMaps()), java.util.Set.copyOf(runs.predicateObjectMaps()), "the source runs the compiled mapping");
    }
}
