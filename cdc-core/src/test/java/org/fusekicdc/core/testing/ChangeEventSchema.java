package org.fusekicdc.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.TextDirection;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.core.Quad;
import org.fusekicdc.core.wire.MessageFormats;

/**
 * Checks JSON change events with a JSON Schema validator nobody here wrote (networknt), against
 * the schema shipped in cdc-core's jar, and reads them back into patches to compare.
 */
public final class ChangeEventSchema {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonSchema SCHEMA = load();

    private ChangeEventSchema() {}

    private static JsonSchema load() {
        try (InputStream in = MessageFormats.class.getResourceAsStream(MessageFormats.JSON_SCHEMA_RESOURCE)) {
            if ( in == null )
                throw new IllegalStateException(MessageFormats.JSON_SCHEMA_RESOURCE + " is not in cdc-core's jar");
            SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in, config);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The event parsed, after failing the test if it does not validate. */
    public static JsonNode validate(byte[] json) {
        JsonNode node;
        try {
            node = MAPPER.readTree(json);
        } catch (IOException ex) {
            return fail("not JSON: " + ex + "\n" + new String(json, StandardCharsets.UTF_8));
        }
        Set<ValidationMessage> problems = SCHEMA.validate(node);
        if ( !problems.isEmpty() )
            fail("change event does not validate against the schema: " + problems + "\n" + node);
        return node;
    }

    /** The problems the validator finds, for tests that show the schema refuses something. */
    public static Set<ValidationMessage> problems(String json) throws IOException {
        return SCHEMA.validate(MAPPER.readTree(json));
    }

    /** Validate the event and check it carries exactly the changes of {@code patch} (in order). */
    public static JsonNode assertSameChanges(RDFPatch patch, byte[] json) {
        JsonNode event = validate(json);
        List<String> want = new ArrayList<>();
        patch.apply(new org.apache.jena.rdfpatch.changes.RDFChangesBase() {
            @Override
            public void add(Node g, Node s, Node p, Node o) {
                want.add("add " + new Quad(g == null ? Quad.defaultGraphIRI : g, s, p, o));
            }

            @Override
            public void delete(Node g, Node s, Node p, Node o) {
                want.add("delete " + new Quad(g == null ? Quad.defaultGraphIRI : g, s, p, o));
            }

            @Override
            public void addPrefix(Node gn, String prefix, String uriStr) {
                want.add("addPrefix " + prefix + " " + uriStr);
            }

            @Override
            public void deletePrefix(Node gn, String prefix) {
                want.add("deletePrefix " + prefix);
            }
        });
        List<String> got = new ArrayList<>();
        for ( JsonNode c : event.get("changes") ) {
            String op = c.get("op").asText();
            switch ( op ) {
                case "add", "delete" -> {
                    Node g = c.has("graph") ? term(c.get("graph")) : Quad.defaultGraphIRI;
                    got.add(op + " " + new Quad(g, term(c.get("subject")), term(c.get("predicate")), term(c.get("object"))));
                }
                case "addPrefix" -> got.add(op + " " + c.get("prefix").asText() + " " + c.get("namespace").asText());
                case "deletePrefix" -> got.add(op + " " + c.get("prefix").asText());
                default -> fail("unknown op " + op);
            }
        }
        assertEquals(want, got, "the event's changes are the patch's");
        return event;
    }

    /** Apply the event's changes to {@code dsg}, as a consumer of change events would. */
    public static void apply(JsonNode event, DatasetGraph dsg) {
        for ( JsonNode c : event.get("changes") ) {
            String op = c.get("op").asText();
            if ( op.equals("addPrefix") ) {
                dsg.prefixes().add(c.get("prefix").asText(), c.get("namespace").asText());
                continue;
            }
            if ( op.equals("deletePrefix") ) {
                dsg.prefixes().delete(c.get("prefix").asText());
                continue;
            }
            Node g = c.has("graph") ? term(c.get("graph")) : Quad.defaultGraphIRI;
            Quad q = new Quad(g, term(c.get("subject")), term(c.get("predicate")), term(c.get("object")));
            if ( op.equals("add") )
                dsg.add(q);
            else
                dsg.delete(q);
        }
    }

    /** A term in the SPARQL 1.1 JSON results encoding (with triple terms), as a node. */
    public static Node term(JsonNode t) {
        String value = t.get("value").isTextual() ? t.get("value").asText() : null;
        return switch ( t.get("type").asText() ) {
            case "uri" -> NodeFactory.createURI(value);
            case "bnode" -> NodeFactory.createBlankNode(value);
            case "literal" -> {
                if ( t.has("xml:lang") ) {
                    TextDirection dir = t.has("its:dir") ? TextDirection.create(t.get("its:dir").asText()) : null;
                    yield NodeFactory.createLiteralDirLang(value, t.get("xml:lang").asText(), dir);
                }
                yield NodeFactory.createLiteralDT(value, org.apache.jena.datatypes.TypeMapper.getInstance().getSafeTypeByName(t.get("datatype").asText()));
            }
            case "triple" -> {
                JsonNode v = t.get("value");
                yield NodeFactory.createTripleTerm(term(v.get("subject")), term(v.get("predicate")), term(v.get("object")));
            }
            default -> fail("unknown term type " + t);
        };
    }
}
