package org.fusekicdc.sink.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.Triple;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.vocabulary.RDF;
import org.fusekicdc.core.sink.SinkProvider.SinkOption;
import org.junit.jupiter.api.Test;

/** The Webhook section of docs/sinks.md lists exactly the options the code knows; config-examples/webhook.ttl uses only those. */
class WebhookSinkDocTest {
    private static final String CDC = "https://w3id.org/fuseki-cdc#";

    private static Path repositoryFile(String relative) {
        for ( Path dir = Path.of("").toAbsolutePath() ; dir != null ; dir = dir.getParent() ) {
            if ( Files.exists(dir.resolve(relative)) )
                return dir.resolve(relative);
        }
        throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
    }

    @Test
    void theOptionsTableMatchesTheCode() throws IOException {
        List<String> lines = Files.readAllLines(repositoryFile("docs/sinks.md"), StandardCharsets.UTF_8);
        int start = lines.indexOf("## Webhooks: `cdc:WebhookSink`");
        assertTrue(start >= 0, "docs/sinks.md has a '## Webhooks' section");
        Map<String, String[]> rows = new LinkedHashMap<>();
        for ( String line : lines.subList(start + 1, lines.size()) ) {
            if ( line.startsWith("## ") )
                break;
            if ( !line.startsWith("| `cdc:") )
                continue;
            String[] cells = line.substring(1, line.length() - 1).split("(?<!\\\\)\\|");
            for ( int i = 0 ; i < cells.length ; i++ )
                cells[i] = cells[i].trim().replace("\\|", "|");
            rows.put(cells[0].replace("`", "").substring("cdc:".length()), cells);
        }
        for ( SinkOption o : WebhookSinkConfig.OPTIONS ) {
            String[] cells = rows.remove(o.name());
            assertTrue(cells != null, () -> "cdc:" + o.name() + " is missing from the Webhook section of docs/sinks.md");
            assertEquals(o.type(), cells[1], o.name() + " type");
            assertEquals(o.defaultValue(), cells[2], o.name() + " default");
            assertEquals(o.doc(), cells[3], o.name() + " meaning");
        }
        assertTrue(rows.isEmpty(), () -> "docs/sinks.md lists webhook options the code does not know: " + rows.keySet());
    }

    @Test
    void theExampleConfigurationUsesOnlyKnownOptions() {
        Graph g = GraphFactory.createDefaultGraph();
        RDFParser.source(repositoryFile("config-examples/webhook.ttl")).parse(g);
        List<Node> sinks = g.find(Node.ANY, RDF.type.asNode(), NodeFactory.createURI(CDC + WebhookSinkProvider.TYPE)).mapWith(Triple::getSubject).toList();
        assertEquals(1, sinks.size(), "one cdc:WebhookSink");
        Set<String> known = WebhookSinkConfig.OPTIONS.stream().map(SinkOption::name).collect(Collectors.toSet());
        Set<String> used = g.find(sinks.get(0), Node.ANY, Node.ANY).mapWith(t -> t.getPredicate().getURI()).filterDrop(RDF.type.getURI()::equals)
                            .mapWith(uri -> uri.substring(CDC.length())).toSet();  // a mutable HashSet
        assertTrue(used.contains("name") && used.contains("url"), "names the sink and its server: " + used);
        used.remove("name");
        used.remove("deadLetterDirectory");  // an option every sink has
        assertTrue(known.containsAll(used), () -> "options the webhook sink does not know: " + used);
        assertEquals(1, g.find(Node.ANY, NodeFactory.createURI(CDC + "sink"), sinks.get(0)).toList().size(), "attached with cdc:sink");
    }
}
