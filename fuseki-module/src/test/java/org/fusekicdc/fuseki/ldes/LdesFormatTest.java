package org.fusekicdc.fuseki.ldes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** Content negotiation of the Linked Data Event Stream. */
class LdesFormatTest {
    @Test
    void theHighestQualityWinsAndTurtleAmongEquals() {
        // What the ldes-client (Comunica's dereferencer) sends.
        String comunica = "application/n-quads,application/trig;q=0.95,application/ld+json;q=0.9,application/n-triples;q=0.8,text/turtle;q=0.6,"
                          + "application/rdf+xml;q=0.5,text/n3;q=0.35,application/xml;q=0.3,image/svg+xml;q=0.3,text/xml;q=0.3,text/html;q=0.2,"
                          + "application/xhtml+xml;q=0.18,application/json;q=0.135,text/shaclc;q=0.1,text/shaclc-ext;q=0.05";
        assertEquals(LdesFormat.JSONLD, LdesFormat.negotiate(comunica));
        assertEquals(LdesFormat.TURTLE, LdesFormat.negotiate("*/*"));
        assertEquals(LdesFormat.TURTLE, LdesFormat.negotiate("text/*, application/n-triples;q=0.5"));
        assertEquals(LdesFormat.NTRIPLES, LdesFormat.negotiate("application/n-triples"));
        assertEquals(LdesFormat.NTRIPLES, LdesFormat.negotiate("text/turtle;q=0, */*;q=0.1"), "q=0 refuses a format");
        assertEquals(LdesFormat.JSONLD, LdesFormat.negotiate("APPLICATION/LD+JSON; q=1"));
        assertNull(LdesFormat.negotiate("image/png, text/html"));
        assertNull(LdesFormat.negotiate("text/turtle;q=0"));
    }
}
