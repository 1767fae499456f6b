package org.fusekicdc.fuseki.access;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.jena.fuseki.access.SecurityContext;
import org.apache.jena.fuseki.access.SecurityContextView;
import org.apache.jena.rdfpatch.text.RDFChangesWriterText;
import org.apache.jena.rdfpatch.text.RDFPatchReaderText;
import org.junit.jupiter.api.Test;

/** A patch as one reader may see it: headers, transaction and dataset prefixes kept, quads and graph prefixes of other graphs dropped. */
class PatchFilterTest {
    private static final String PATCH = """
        H id <uuid:0b7b9e3c-1111-4f8e-9c7a-2f0a8d1e4b55> .
        H version 7 .
        TX .
        PA "ex" <http://example/> .
        PA "s" <http://example/s#> <http://example/g/secret> .
        A <http://example/s> <http://example/p> "default" .
        A <http://example/s> <http://example/p> "public" <http://example/g/public> .
        D <http://example/s> <http://example/p> "secret" <http://example/g/secret> .
        TC .
        """;

    private static List<String> filtered(SecurityContext sc) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        RDFChangesWriterText writer = RDFChangesWriterText.create(out);
        new RDFPatchReaderText(new ByteArrayInputStream(PATCH.getBytes(StandardCharsets.UTF_8))).apply(PatchFilter.filter(writer, ReaderView.of(sc)));
        writer.finish();
        return out.toString(StandardCharsets.UTF_8).lines().map(String::strip).toList();
    }

    private static long lines(List<String> patch, String start) {
        return patch.stream().filter(l -> l.startsWith(start)).count();
    }

    @Test
    void aNamedGraphReaderKeepsItsGraphOnly() {
        List<String> p = filtered(new SecurityContextView("http://example/g/public"));
        assertEquals(1, lines(p, "A "), p.toString());
        assertEquals(0, lines(p, "D "), p.toString());
        assertEquals(1, lines(p, "PA "), "the dataset's prefix, not the hidden graph's: " + p);
        assertEquals(2, lines(p, "H "), "headers kept: " + p);
    }

    @Test
    void theDefaultGraphIsVisibleOnlyWhenTheContextSaysSo() {
        List<String> p = filtered(new SecurityContextView("urn:x-arq:DefaultGraph"));
        assertEquals(List.of("A <http://example/s> <http://example/p> \"default\" ."), p.stream().filter(l -> l.startsWith("A ")).toList());
    }

    @Test
    void aPatchFilteredToNothingKeepsItsHeadersAndTransaction() {
        List<String> p = filtered(SecurityContext.NONE);
        assertEquals(0, lines(p, "A ") + lines(p, "D "));
        assertEquals(2, lines(p, "H "));
        assertEquals(1, lines(p, "TX"));
        assertEquals(1, lines(p, "TC"));
    }
}
