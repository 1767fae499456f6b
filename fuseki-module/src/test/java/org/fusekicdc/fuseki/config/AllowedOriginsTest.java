package org.fusekicdc.fuseki.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AllowedOriginsTest {
    private static final AllowedOrigins SAME = AllowedOrigins.SAME_ORIGIN;

    @Test
    void clientsWithoutAnOriginAndPagesOfTheServerItselfAreAllowed() {
        assertTrue(SAME.allows(null, "fuseki.example.org"));
        assertTrue(SAME.allows("https://fuseki.example.org", "fuseki.example.org"));
        assertTrue(SAME.allows("http://localhost:3030", "localhost:3030"));
        assertTrue(SAME.allows("HTTP://LocalHost:3030", "localhost:3030"));
        assertTrue(SAME.allows("https://fuseki.example.org:443", "fuseki.example.org"));
        assertTrue(SAME.allows("http://[::1]:3030", "[::1]:3030"));
    }

    @Test
    void pagesOfOtherOriginsAreRefused() {
        assertFalse(SAME.allows("https://evil.example", "fuseki.example.org"));
        assertFalse(SAME.allows("http://localhost:8080", "localhost:3030"), "another port is another origin");
        assertFalse(SAME.allows("http://fuseki.example.org.evil.example", "fuseki.example.org"));
        assertFalse(SAME.allows("null", "fuseki.example.org"), "sandboxed pages and files send null");
        assertFalse(SAME.allows("https://fuseki.example.org", null));
        assertFalse(SAME.allows("not an origin", "fuseki.example.org"));
    }

    @Test
    void listedOriginsAndTheWildcardAreAllowed() {
        AllowedOrigins listed = AllowedOrigins.parse(" https://app.example.org,http://localhost:8080  https://b.example.org:8443/ ");
        assertTrue(listed.allows("https://app.example.org", "fuseki.example.org"));
        assertTrue(listed.allows("https://APP.example.org:443", "fuseki.example.org"));
        assertTrue(listed.allows("http://localhost:8080", "localhost:3030"));
        assertTrue(listed.allows("https://b.example.org:8443", "fuseki.example.org"));
        assertFalse(listed.allows("http://app.example.org", "fuseki.example.org"), "the scheme is part of the origin");
        assertFalse(listed.allows("https://b.example.org", "fuseki.example.org"));
        assertTrue(listed.allows("https://fuseki.example.org", "fuseki.example.org"), "the server's own pages still are");
        assertTrue(AllowedOrigins.parse("*").allows("https://anyone.example", "fuseki.example.org"));
        assertTrue(AllowedOrigins.parse("*").allows("null", "fuseki.example.org"));
    }

    @Test
    void anEntryThatIsNotAnOriginIsRefusedWithTheFix() {
        for ( String bad : new String[] {"app.example.org", "https://app.example.org/path", "ftp://app.example.org", "https://user@app.example.org"} ) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> AllowedOrigins.parse(bad));
            assertEquals("'" + bad + "' is not an origin: write scheme://host or scheme://host:port (http or https, no path), as a browser sends it,"
                         + " or * for any", ex.getMessage());
        }
    }
}
