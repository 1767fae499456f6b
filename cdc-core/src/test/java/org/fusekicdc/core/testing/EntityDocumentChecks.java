package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.Node;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFParser;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.system.Txn;

/**
 * What a broker test checks of entity documents ({@code cdc:format "entity"}, depth closure),
 * whatever carried them: the description each subject should have at a version, read from the
 * dataset right after that version's commit, and a document checked against it.
 */
public final class EntityDocumentChecks {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EntityDocumentChecks() {}

    /** Each subject's triples and those of the blank nodes they reach, in every graph, as the dataset holds them now. */
    public static Map<Node, Graph> closures(DatasetGraph dsg, List<Node> subjects) {
        Map<Node, Graph> state = new HashMap<>();
        Txn.executeRead(dsg, () -> {
            for ( Node s : subjects ) {
                Graph g = GraphFactory.createDefaultGraph();
                closure(dsg, s, g);
                state.put(s, g);
            }
        });
        return state;
    }

    private static void closure(DatasetGraph dsg, Node s, Graph into) {
        dsg.find(Node.ANY, s, Node.ANY, Node.ANY).forEachRemaining(q -> {
            into.add(q.asTriple());
            if ( q.getObject().isBlank() )
                closure(dsg, q.getObject(), into);
        });
    }

    /**
     * The document is one JSON-LD object, the subject, compacted with a context that maps
     * {@code ex} to {@code ns} and has a {@code name} term, and read back by Jena it is exactly {@code want}.
     */
    public static void assertDocument(byte[] body, String subject, long version, String ns, Graph want) {
        JsonNode doc;
        try {
            doc = JSON.readTree(body);
        } catch (IOException ex) {
            throw new UncheckedIOException("the document of " + subject + " at version " + version + " is not JSON", ex);
        }
        assertEquals(ns, doc.get("@context").get("ex").asText(), "compacted with the configured context");
        assertTrue(doc.has("name"), "the context's term is used: " + doc);
        assertEquals(subject, doc.get("@id").asText().replace("ex:", ns), "one object, the subject: " + doc);
        Graph got = GraphFactory.createDefaultGraph();
        RDFParser.source(new ByteArrayInputStream(body)).lang(Lang.JSONLD11).parse(got);
        assertTrue(got.isIsomorphicWith(want), "version " + version + " " + subject + ": got\n" + got + "\nwant\n" + want);
    }
}
