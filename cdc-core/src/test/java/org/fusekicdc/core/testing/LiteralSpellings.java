package org.fusekicdc.core.testing;

import java.util.ArrayList;
import java.util.List;

/**
 * Test support: literals written in a form other than the canonical one, each with another
 * spelling of the same value, and the SPARQL updates that add, find and delete them in every
 * way a client can. TDB2 keeps most numbers, dates, date-times and booleans by value (the
 * canonical form is what it reads back); the rest (out of range, finer than milliseconds,
 * ill-typed, language-tagged) it keeps as written. A patch must record whichever the store
 * holds, or a replay onto another store diverges.
 */
public final class LiteralSpellings {
    /** The prefixes the updates and {@link #turtle} use. */
    public static final String PREFIXES = "PREFIX : <http://example/>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n";

    /** A literal as written and another spelling of the same value, in SPARQL/Turtle syntax. */
    public record Spelling(String written, String other) {}

    public static final List<Spelling> SPELLINGS = List.of(
        new Spelling("\"01.50\"^^xsd:decimal", "\"1.5\"^^xsd:decimal"),
        new Spelling("\"1\"^^xsd:decimal", "\"1.000\"^^xsd:decimal"),
        new Spelling("\"-0.0\"^^xsd:decimal", "\"0\"^^xsd:decimal"),
        new Spelling("\"+1\"^^xsd:integer", "1"),
        new Spelling("\"01\"^^xsd:integer", "\"+01\"^^xsd:integer"),
        new Spelling("\"007\"^^xsd:byte", "\"+7\"^^xsd:byte"),
        new Spelling("\"+42\"^^xsd:long", "\"042\"^^xsd:long"),
        new Spelling("\"0010\"^^xsd:unsignedShort", "\"10\"^^xsd:unsignedShort"),
        new Spelling("\"1e0\"^^xsd:double", "\"1.0E0\"^^xsd:double"),
        new Spelling("\"1.0E0\"^^xsd:double", "\"10E-1\"^^xsd:double"),
        new Spelling("\"1.50\"^^xsd:float", "\"15e-1\"^^xsd:float"),
        new Spelling("\"2026-01-02T03:04:05.100+01:00\"^^xsd:dateTime", "\"2026-01-02T03:04:05.1+01:00\"^^xsd:dateTime"),
        new Spelling("\"2026-01-02T03:04:05.000Z\"^^xsd:dateTime", "\"2026-01-02T03:04:05Z\"^^xsd:dateTime"),
        new Spelling("\"2026-01-02T03:04:05-00:00\"^^xsd:dateTime", "\"2026-01-02T03:04:05+00:00\"^^xsd:dateTime"),
        // The same instant in another time zone: TDB2 keeps the zone, so these are two terms everywhere.
        new Spelling("\"2026-01-02T03:04:05+01:00\"^^xsd:dateTime", "\"2026-01-02T02:04:05Z\"^^xsd:dateTime"),
        new Spelling("\"2026-01-02-00:00\"^^xsd:date", "\"2026-01-02+00:00\"^^xsd:date"),
        new Spelling("\"1\"^^xsd:boolean", "true"),
        new Spelling("\"0\"^^xsd:boolean", "\"false\"^^xsd:boolean"),
        new Spelling("\"x\"@EN-gb", "\"x\"@en-GB"),
        // Not inlined by TDB2, so kept as written there too.
        new Spelling("\"2026-01-02T03:04:05.123456Z\"^^xsd:dateTime", "\"2026-01-02T03:04:05.1234560Z\"^^xsd:dateTime"),
        new Spelling("\"00000000000000000001\"^^xsd:integer", "1"),
        new Spelling("\"099999999999999999999\"^^xsd:integer", "99999999999999999999"),
        new Spelling("\"0123456789012345678901234567890.50\"^^xsd:decimal", "123456789012345678901234567890.5"),
        new Spelling("\"1.0E300\"^^xsd:double", "1e300"),
        new Spelling("\"0300\"^^xsd:byte", "\"300\"^^xsd:byte"));

    private LiteralSpellings() {}

    /**
     * SPARQL updates, each one request and one transaction, that together exercise every
     * spelling: insert then DELETE WHERE in two transactions and in one, DELETE DATA and
     * INSERT DATA of the other spelling in a later transaction and in the same one, and a
     * DELETE/INSERT that moves the stored term to another predicate. Subjects differ per
     * spelling and case, so the updates are independent.
     */
    public static List<String> updates() {
        List<String> out = new ArrayList<>();
        for ( int i = 0 ; i < SPELLINGS.size() ; i++ ) {
            String w = SPELLINGS.get(i).written();
            String o = SPELLINGS.get(i).other();
            out.add("INSERT DATA { :a" + i + " :p " + w + " }");
            out.add("DELETE WHERE { :a" + i + " :p ?o }");
            out.add("INSERT DATA { GRAPH :g { :b" + i + " :p " + w + " } } ; DELETE WHERE { GRAPH :g { :b" + i + " :p ?o } }");
            out.add("INSERT DATA { :c" + i + " :p " + w + " }");
            out.add("DELETE DATA { :c" + i + " :p " + o + " }");
            out.add("INSERT DATA { :d" + i + " :p " + w + " }");
            out.add("INSERT DATA { :d" + i + " :p " + o + " }");
            out.add("INSERT DATA { GRAPH :g { :e" + i + " :p " + w + " } } ; DELETE DATA { GRAPH :g { :e" + i + " :p " + o + " } }");
            out.add("INSERT DATA { :f" + i + " :p " + w + " }");
            out.add("DELETE { :f" + i + " :p ?o } INSERT { :f" + i + " :q ?o } WHERE { :f" + i + " :p ?o }");
            out.add("INSERT DATA { :h" + i + " :p " + w + " , " + o + " }");
            out.add("DELETE DATA { :h" + i + " :p " + w + " }");
        }
        return out.stream().map(u -> PREFIXES + u).toList();
    }

    /** A graph in Turtle holding every spelling's written form ({@code other} false) or its other one. */
    public static String turtle(boolean other) {
        StringBuilder sb = new StringBuilder(PREFIXES);
        for ( int i = 0 ; i < SPELLINGS.size() ; i++ )
            sb.append(":k").append(i).append(" :p ").append(other ? SPELLINGS.get(i).other() : SPELLINGS.get(i).written()).append(" .\n");
        return sb.toString();
    }
}
