package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Malformed window clauses, unknown streams and windows too large: refused with the place and the fix. */
class BadInputTest {
    private static final String OK = """
        REGISTER RSTREAM <urn:q> AS
        SELECT (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT10S]
        WHERE { WINDOW <urn:w> { ?s ?p ?o } }
        """;

    private static ContinuousQueryException refused(String text) {
        return assertThrows(ContinuousQueryException.class, () -> ContinuousQuery.parse(TestStream.PREFIXES + text));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "[RANGE PT1M STEP PT10S]|[RANGE 5 minutes]|RANGE takes an ISO 8601 duration",
        "[RANGE PT1M STEP PT10S]|[RANGE PT1M STEP PT0S]|STEP must be longer than zero",
        "[RANGE PT1M STEP PT10S]|[SLIDE PT1M]|is none of RANGE, ROWS, SESSION",
        "[RANGE PT1M STEP PT10S]|[ROWS many]|ROWS is followed by a whole number",
        "[RANGE PT1M STEP PT10S]|[ROWS 10 TIME ex:ts]|has no event TIME",
        "[RANGE PT1M STEP PT10S]|[SESSION PT30S]|SESSION is followed by GAP",
        "[RANGE PT1M STEP PT10S]|[RANGE PT1M LATENESS PT5S]|LATENESS comes after TIME",
        "[RANGE PT1M STEP PT10S]|RANGE PT1M|in brackets",
        "ON cdc:added|ON cdc:inserted|unknown stream <https://w3id.org/fuseki-cdc#inserted>",
        "ON cdc:added|ON foo:added|unknown prefix 'foo:'",
        "WINDOW <urn:w> {|WINDOW <urn:other> {|names no declared window",
        "REGISTER RSTREAM|REGISTER XSTREAM|RSTREAM, ISTREAM or DSTREAM",
    })
    void malformedClausesNameTheCauseAndThePlace(String good, String bad, String message) {
        assertTrue(OK.contains(good), good);
        ContinuousQueryException e = refused(OK.replace(good, bad));
        assertTrue(e.getMessage().contains(message), e.getMessage());
        assertTrue(e.line() > 4, "a line in the query text: " + e.getMessage());
        assertTrue(e.column() > 0);
    }

    @Test
    void sparqlSyntaxErrorsKeepTheirLineAndColumn() {
        ContinuousQueryException e = refused(OK.replace("?s ?p ?o", "?s ?p"));
        assertTrue(e.getMessage().startsWith("SPARQL syntax error"), e.getMessage());
        assertEquals(8, e.line(), "the line in the text as written, REGISTER and window clauses included");
    }

    @Test
    void aQueryWithoutWindowOrWithDescribeIsRefused() {
        assertTrue(refused("SELECT * WHERE { ?s ?p ?o }").getMessage().contains("no window"));
        assertTrue(refused(OK.replace("SELECT (COUNT(*) AS ?n)", "DESCRIBE ?s")).getMessage().contains("SELECT, ASK or CONSTRUCT"));
        assertTrue(refused(OK.replace("WHERE", "FROM <urn:g> WHERE")).getMessage().contains("FROM and FROM NAMED are not supported"));
    }

    @Test
    void windowsThatCannotStepTogetherAreRefused() {
        String two = OK.replace("[RANGE PT1M STEP PT10S]", "[RANGE PT1M STEP PT10S]\nFROM NAMED WINDOW <urn:w2> ON cdc:added [RANGE PT1M STEP PT20S]");
        assertTrue(refused(two).getMessage().contains("step differently"));
        String count = OK.replace("[RANGE PT1M STEP PT10S]", "[RANGE PT1M STEP PT10S]\nFROM NAMED WINDOW <urn:w2> ON cdc:added [ROWS 5]");
        assertTrue(refused(count).getMessage().contains("may only have time windows"));
    }

    @Test
    void theRsqplTextIsParsedIntoItsParts() {
        ContinuousQuery q = ContinuousQuery.parse(TestStream.PREFIXES + """
            REGISTER ISTREAM <urn:q:late> AS
            SELECT ?s FROM NAMED WINDOW ex:w ON cdc:removed GRAPH ex:g [RANGE PT5M STEP PT1M TIME sosa:resultTime LATENESS PT30S]
            WHERE { WINDOW ex:w { ?s ?p ?o } # WINDOW <urn:not-a-window> in a comment
                    FILTER(?o != "WINDOW <urn:neither> in a string") }
            """);
        assertEquals("urn:q:late", q.name());
        assertEquals(StreamOperator.ISTREAM, q.operator());
        WindowSpec w = q.windows().get(0);
        assertEquals(RspVocab.REMOVED, w.stream());
        assertEquals("http://example.org/g", w.graph().getURI());
        assertEquals(Duration.ofMinutes(5), w.range());
        assertEquals(Duration.ofMinutes(1), w.step());
        assertEquals("http://www.w3.org/ns/sosa/resultTime", w.timeProperty().getURI());
        assertEquals(Duration.ofSeconds(30), w.allowedLateness());
        assertTrue(ContinuousQuery.isContinuous(q.text()));
        assertFalse(ContinuousQuery.isContinuous("SELECT * { ?s ?p ?o } # FROM NAMED WINDOW"));
    }

    @Test
    void aCountWindowOverTheBudgetIsRefusedAtRegistration() {
        TestStream s = new TestStream(new StreamEngineConfig(100));
        ContinuousQueryException e = assertThrows(ContinuousQueryException.class,
            () -> s.register(OK.replace("[RANGE PT1M STEP PT10S]", "[ROWS 101]")));
        assertTrue(e.getMessage().contains("cdc:maxWindowQuads"), e.getMessage());
    }

    @Test
    void aTimeWindowThatTheRecentStreamAlreadyOverfillsIsRefusedAtRegistration() {
        TestStream s = new TestStream(new StreamEngineConfig(5));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, "ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:p 3 .");
        s.commit(t.plusSeconds(50), "ex:d ex:p 4 . ex:e ex:p 5 . ex:f ex:rare 6 .");
        s.commit(t.plusSeconds(55), "ex:g ex:p 7 .");
        Instant now = t.plusSeconds(59);
        ContinuousQuery oneMinute = ContinuousQuery.parse(TestStream.PREFIXES + OK.replace("?s ?p ?o", "?s ex:p ?o"));
        ContinuousQueryException e = assertThrows(ContinuousQueryException.class,
            () -> StreamEngine.checkWindowBudget(oneMinute, new StreamEngineConfig(5), now, newestFirst(s)));
        assertTrue(e.getMessage().contains("window <urn:w> [RANGE PT1M]") && e.getMessage().contains("cdc:maxWindowQuads")
                   && e.getMessage().contains("versions 1 to 3"), e.getMessage());
        // What the window would keep counts: a shorter RANGE, or patterns on fewer predicates, stay under the budget.
        StreamEngine.checkWindowBudget(ContinuousQuery.parse(TestStream.PREFIXES + OK.replace("PT1M", "PT30S")), new StreamEngineConfig(5), now, newestFirst(s));
        StreamEngine.checkWindowBudget(ContinuousQuery.parse(TestStream.PREFIXES + OK.replace("?s ?p ?o", "?s ex:rare ?o")), new StreamEngineConfig(5), now,
                                       newestFirst(s));
        StreamEngine.checkWindowBudget(oneMinute, new StreamEngineConfig(6), now, newestFirst(s));
    }

    private static java.util.Iterator<Commit> newestFirst(TestStream s) {
        return s.commits().reversed().iterator();
    }

    @Test
    void aTimeWindowGrowingOverTheBudgetFailsItsQueryAndSparesTheOthers() {
        TestStream s = new TestStream(new StreamEngineConfig(5));
        s.register(OK);
        s.register(OK.replace("<urn:q>", "<urn:q:small>").replace("?s ?p ?o", "?s ex:rare ?o"));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, "ex:a ex:p 1 . ex:b ex:p 2 . ex:c ex:p 3 .");
        s.commit(t.plusSeconds(1), "ex:d ex:p 4 . ex:e ex:p 5 . ex:f ex:p 6 . ex:g ex:rare 1 .");
        assertEquals(1, s.failures().size());
        assertTrue(s.failures().get(0).getMessage().contains("cdc:maxWindowQuads"), s.failures().get(0).getMessage());
        assertEquals(1, s.engine().status().size(), "the query over few predicates holds only what it can match and goes on");
        s.engine().advanceTo(t.plusSeconds(10));
        assertEquals("urn:q:small", s.steps().get(s.steps().size() - 1).query());
    }

    @Test
    void aListenerThatThrowsFailsOnlyItsQuery() {
        TestStream s = new TestStream();
        s.engine().register(ContinuousQuery.parse(TestStream.PREFIXES + OK), step -> {
            throw new IllegalStateException("sink down");
        });
        s.register(OK.replace("<urn:q>", "<urn:q:2>"));
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, "ex:a ex:p 1 .");
        s.engine().advanceTo(t.plusSeconds(10));
        s.commit(t.plusSeconds(11), "ex:b ex:p 1 .");
        assertEquals(2, s.engine().version());
        assertEquals(1, s.engine().status().size());
        assertEquals("urn:q:2", s.steps().get(0).query());
    }

    @Test
    void lateEventsAreCountedAndReported() {
        TestStream s = new TestStream();
        s.register("""
            REGISTER RSTREAM <urn:q> AS
            SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT1M TIME ex:ts LATENESS PT10S]
            WHERE { WINDOW <urn:w> { ?s ex:v ?v } }
            """);
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, "ex:a ex:v 1 ; ex:ts \"2026-01-01T00:00:50Z\"^^xsd:dateTime .");
        s.commit(t.plusSeconds(1), "ex:b ex:v 1 ; ex:ts \"2026-01-01T00:00:35Z\"^^xsd:dateTime .");
        assertEquals(2, s.late().size(), "35 s is behind the watermark 40 s: both of its quads are late");
        assertEquals(2, s.engine().status().get(0).lateEvents());
        assertEquals("http://example.org/b", s.late().get(0).quad().getSubject().getURI());
    }

    @Test
    void commitsAreFedInVersionOrder() {
        TestStream s = new TestStream();
        s.engine().startAfter(3);
        s.engine().accept(new Commit(2, Instant.EPOCH, java.util.List.of(), java.util.List.of()));
        assertEquals(3, s.engine().version(), "commits up to the start position are skipped");
        s.engine().accept(new Commit(4, Instant.EPOCH, java.util.List.of(), java.util.List.of()));
        assertThrows(IllegalArgumentException.class, () -> s.engine().accept(new Commit(4, Instant.EPOCH, java.util.List.of(), java.util.List.of())));
    }
}
