package org.fusekicdc.core.internal.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Function;

import org.apache.jena.datatypes.xsd.XSDDatatype;
import org.apache.jena.graph.Node;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.rdfpatch.RDFPatch;
import org.apache.jena.rdfpatch.RDFPatchOps;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.junit.jupiter.api.Test;

class PatchTextWriterTest {
    /** Writes a patch of awkward terms: non-ASCII (two- and three-byte, surrogate pairs), escapes, a long literal, blank nodes, prefixes. */
    private static String write(Function<OutputStream, RDFChangesWriterText> writers) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        RDFChangesWriterText w = writers.apply(bytes);
        w.header("id", NodeFactory.createURI("uuid:0b8f0dc4-5b1d-4b0c-9f53-5a4f0a6c6f5e"));
        w.txnBegin();
        w.addPrefix(null, "ex", "http://example.org/é/");
        Node g = NodeFactory.createURI("http://example.org/graph");
        Node s = NodeFactory.createURI("http://example.org/s/日本");
        Node p = NodeFactory.createURI("http://example.org/p");
        w.add(g, s, p, NodeFactory.createLiteralLang("café 😀 naïve", "fr"));
        w.add(null, s, p, NodeFactory.createLiteralString("quote \" backslash \\ newline \n tab \t"));
        w.add(null, NodeFactory.createBlankNode("b0"), p, NodeFactory.createBlankNode("b1"));
        w.delete(g, s, p, NodeFactory.createLiteralString("x".repeat(2_000) + "ß".repeat(700)));
        w.add(null, s, p, NodeFactory.createLiteralDT("42", XSDDatatype.XSDinteger));
        w.txnCommit();
        w.finish();
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void writesTheSameTextAsJenasWriter() {
        assertEquals(write(RDFChangesWriterText::create), write(PatchTextWriter::create));
    }

    @Test
    void whatItWritesReadsBackAsThePatch() {
        String text = write(PatchTextWriter::create);
        RDFPatch patch = RDFPatchOps.read(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        RDFChangesWriterText w = RDFChangesWriterText.create(again);
        patch.apply(w);
        w.finish();
        assertEquals(text, again.toString(StandardCharsets.UTF_8));
    }
}
