package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.query.ResultSet;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.apache.jena.sparql.engine.binding.BindingBuilder;
import org.apache.jena.sparql.engine.binding.BindingFactory;
import org.apache.jena.sparql.exec.RowSetStream;
import org.junit.jupiter.api.Test;

/** A step's results are the SPARQL 1.1 JSON results document Jena writes, key for key and in its order. */
class StepJsonTest {
    private static final Var A = Var.alloc("a");
    private static final Var B = Var.alloc("b");

    private static String jena(List<Var> vars, List<Binding> rows) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ResultSetFormatter.outputAsJSON(out, ResultSet.adapt(RowSetStream.create(vars, rows.iterator())));
        return JSON.toStringFlat(JSON.parse(new ByteArrayInputStream(out.toByteArray())));
    }

    private static Binding row(Node a, Node b) {
        BindingBuilder r = BindingFactory.builder();
        if ( a != null )
            r.add(A, a);
        if ( b != null )
            r.add(B, b);
        return r.build();
    }

    private static void assertAsJenaWrites(List<Binding> rows) {
        List<Var> vars = List.of(A, B);
        JsonObject ours = StepJson.results(new StepResult.Rows(vars, rows));
        assertEquals(jena(vars, rows), JSON.toStringFlat(ours));
    }

    @Test
    void irisAndLiteralsOfEveryKindAreWrittenAsJenaWritesThem() {
        List<Node> terms = List.of(NodeFactory.createURI("http://example.org/room0"), NodeFactory.createLiteralString("plain \"quoted\" \u00e9"),
                                   NodeFactory.createLiteralLang("chat", "fr"), NodeFactory.createLiteralDT("13.57", XSDDatatype.XSDdecimal),
                                   NodeFactory.createLiteralDT("14", XSDDatatype.XSDinteger),
                                   NodeFactory.createLiteralDT("2026-12-06T10:00:00Z", XSDDatatype.XSDdateTime),
                                   NodeFactory.createLiteralDT("x", NodeFactory.getType("http://example.org/custom")));
        List<Binding> rows = new ArrayList<>();
        for ( Node a : terms )
            rows.add(row(a, terms.get(rows.size() % terms.size())));
        rows.add(row(null, terms.get(0)));
        rows.add(row(terms.get(1), null));
        assertAsJenaWrites(rows);
        assertAsJenaWrites(List.of());
    }

    @Test
    void blankNodesGoThroughJenasWriter() {
        assertAsJenaWrites(List.of(row(NodeFactory.createBlankNode(), NodeFactory.createURI("http://example.org/x")),
                                   row(NodeFactory.createLiteralDirLang("abc", "ar", "rtl"), null)));
    }
}
