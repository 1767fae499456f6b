package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.config.Option;

/** Checks that keep a sink's example configuration in step with its option declarations ({@link GeneratedDocs} keeps the docs). */
public final class SinkDocChecks {
    private static final String CDC = "https://w3id.org/fuseki-cdc#";
    /** Options every sink has (fuseki-module's CdcOption.SINK_COMMON, documented in docs/configuration.md). */
    private static final Set<String> COMMON = Set.of("name", "deadLetterDirectory", "maxLagVersions", "onLag", "retryInitialMillis", "retryMaxMillis");

    private SinkDocChecks() {}

    /** A file of the repository, found from the working directory upwards. */
    public static Path repositoryFile(String relative) {
        for ( Path dir = Path.of("").toAbsolutePath() ; dir != null ; dir = dir.getParent() ) {
            if ( Files.exists(dir.resolve(relative)) )
                return dir.resolve(relative);
        }
        throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
    }

    /**
     * {@code config-examples/<example>} has one sink of {@code type}, attached with cdc:sink, that
     * names itself and sets {@code required}, and uses only {@code options} and the options every
     * sink has.
     */
    public static void exampleUsesOnlyKnownOptions(String example, String type, List<? extends Option<?>> options, String... required) {
        Graph g = GraphFactory.createDefaultGraph();
        RDFParser.source(repositoryFile("config-examples/" + example)).parse(g);
        List<Node> sinks = g.find(Node.ANY, RDF.type.asNode(), NodeFactory.createURI(CDC + type)).mapWith(Triple::getSubject).toList();
        assertEquals(1, sinks.size(), "one cdc:" + type);
        Set<String> known = options.stream().map(Option::name).collect(Collectors.toSet());
        Set<String> used = g.find(sinks.get(0), Node.ANY, Node.ANY).mapWith(t -> t.getPredicate().getURI()).filterDrop(RDF.type.getURI()::equals)
                            .mapWith(uri -> uri.substring(CDC.length())).toSet();  // a mutable HashSet
        assertTrue(used.contains("name"), "names the sink: " + used);
        for ( String r : required )
            assertTrue(used.contains(r), "sets cdc:" + r + ": " + used);
        used.removeAll(COMMON);
        assertTrue(known.containsAll(used), () -> "options the cdc:" + type + " does not know: " + used);
        assertEquals(1, g.find(Node.ANY, NodeFactory.createURI(CDC + "sink"), sinks.get(0)).toList().size(), "attached with cdc:sink");
    }

    /** The literal options of the one sink of {@code type} in {@code config-examples/<example>}, its name and the options every sink has left out. */
    public static java.util.Map<String, String> exampleOptions(String example, String type) {
        Graph g = GraphFactory.createDefaultGraph();
        RDFParser.source(repositoryFile("config-examples/" + example)).parse(g);
        Node sink = g.find(Node.ANY, RDF.type.asNode(), NodeFactory.createURI(CDC + type)).mapWith(Triple::getSubject).toList().get(0);
        java.util.Map<String, String> out = new java.util.HashMap<>();
        g.find(sink, Node.ANY, Node.ANY).forEachRemaining(t -> {
            String p = t.getPredicate().getURI();
            if ( p.startsWith(CDC) && !COMMON.contains(p.substring(CDC.length())) && t.getObject().isLiteral() )
                out.put(p.substring(CDC.length()), t.getObject().getLiteralLexicalForm());
        });
        return out;
    }
}
