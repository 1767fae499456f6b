package org.fusekicdc.rsp.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.apache.jena.graph.NodeFactory;
import org.apache.jena.sparql.core.DatasetGraphFactory;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.rsp.Commit;
import org.fusekicdc.rsp.ContinuousQuery;
import org.fusekicdc.rsp.QueryStatus;
import org.fusekicdc.rsp.Step;
import org.fusekicdc.rsp.StepResult;
import org.fusekicdc.rsp.StreamEngineConfig;
import org.fusekicdc.rsp.VersionReader;
import org.junit.jupiter.api.Test;

/**
 * What the engine saves for every query: commit-time windows with the same content and quad
 * filter are one store, however many queries read them, and a window keeps only the quads
 * its patterns can match.
 */
class SharedWindowsTest {
    private static final String EX = "http://example.org/";
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final Engine engine = new Engine("test", StreamEngineConfig.DEFAULTS, v -> VersionReader.of(DatasetGraphFactory.createTxnMem()));
    private final List<Step> steps = new ArrayList<>();
    private long version;

    /** A query counting the solutions of {@code pattern} in a window of its own name. */
    private void register(String name, String window, String pattern) {
        String w = "<" + name + ":w>";
        engine.register(ContinuousQuery.parse("PREFIX ex: <" + EX + "> REGISTER RSTREAM <" + name + "> AS SELECT (COUNT(*) AS ?n) FROM NAMED WINDOW " + w
                                              + " ON <https://w3id.org/fuseki-cdc#added> " + window + " WHERE { WINDOW " + w + " { " + pattern + " } }"),
                        steps::add);
    }

    private void commit(int second, String predicate, int quads) {
        List<Quad> added = new ArrayList<>();
        for ( int i = 0; i < quads; i++ )
            added.add(Quad.create(Quad.defaultGraphIRI, NodeFactory.createURI(EX + "o" + version + "-" + i), NodeFactory.createURI(EX + predicate),
                                  NodeFactory.createURI(EX + "x")));
        engine.accept(new Commit(++version, T0.plusSeconds(second), added, List.of()));
    }

    private Map<String, Long> held() {
        return engine.status().stream().collect(Collectors.toMap(QueryStatus::query, QueryStatus::windowQuads));
    }

    @Test
    void queriesOverTheSameWindowShareOneStore() {
        register("urn:a", "[RANGE PT1M STEP PT10S]", "?o ex:value ?v");
        register("urn:b", "[RANGE PT1M STEP PT10S]", "?obs ex:value ?x . ?obs ex:value ?y");
        assertEquals(1, engine.sharedStores(), "windows of the same content and predicates, named differently: one store");
        register("urn:c", "[RANGE PT2M STEP PT10S]", "?o ex:value ?v");
        register("urn:d", "[RANGE PT1M STEP PT10S]", "?o ex:kind ?v");
        assertEquals(3, engine.sharedStores(), "another range, or other predicates, is another store");

        commit(1, "value", 3);
        commit(2, "kind", 2);
        engine.advanceTo(T0.plusSeconds(10));
        assertEquals(Map.of("urn:a", 3L, "urn:b", 3L, "urn:c", 3L, "urn:d", 2L), held());
        Map<String, String> counts = new java.util.TreeMap<>();
        for ( Step s : steps )
            counts.put(s.query(), ((StepResult.Rows)s.result()).rows().get(0).get("n").getLiteralLexicalForm());
        assertEquals(Map.of("urn:a", "3", "urn:b", "3", "urn:c", "3", "urn:d", "2"), counts, "each query reads the shared store as its own window");

        engine.unregister("urn:a");
        assertEquals(3, engine.sharedStores(), "urn:b still reads the store it shared with urn:a");
        engine.unregister("urn:b");
        assertEquals(2, engine.sharedStores(), "a store no query reads is dropped");
    }

    @Test
    void aWindowKeepsOnlyTheQuadsItsPatternsCanMatch() {
        register("urn:values", "[RANGE PT1M STEP PT10S]", "?o ex:value ?v");
        register("urn:any", "[RANGE PT1M STEP PT10S]", "?o ?p ?v");
        register("urn:times", "[RANGE PT1M STEP PT10S]", "?o <https://w3id.org/fuseki-cdc#time> ?t");

        commit(1, "other", 5);
        assertEquals(Map.of("urn:values", 0L, "urn:any", 5L, "urn:times", 5L), held(),
                     "no pattern of urn:values has ex:other; a variable predicate or the event's time matches every quad");
        commit(2, "value", 2);
        assertEquals(Map.of("urn:values", 2L, "urn:any", 7L, "urn:times", 7L), held());
    }
}
