package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JsonArray;
import org.apache.jena.atlas.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The late events of a commit reach the listener together, once per commit, and as JSON with their times and the watermark. */
class LateEventsTest {
    private static final String QUERY = """
        REGISTER RSTREAM <urn:q> AS
        SELECT (COUNT(*) AS ?n)
        FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT1M TIME ex:ts LATENESS PT10S]
        WHERE { WINDOW <urn:w> { ?s ex:v ?v } }
        """;

    @Test
    void theLateEventsOfACommitComeInOneCallWithTheirTimesAndTheWatermark() {
        TestStream s = new TestStream();
        List<List<LateEvent>> batches = new ArrayList<>();
        s.engine().register(ContinuousQuery.parse(TestStream.PREFIXES + QUERY), new StepListener() {
            @Override
            public void step(Step step) {}

            @Override
            public void late(List<LateEvent> events) {
                batches.add(events);
            }
        });
        Instant t = Instant.parse("2026-01-01T00:00:00Z");
        s.commit(t, "ex:a ex:v 1 ; ex:ts \"2026-01-01T00:00:50Z\"^^xsd:dateTime .");
        s.commit(t.plusSeconds(1), "ex:b ex:v 2 ; ex:ts \"2026-01-01T00:00:45Z\"^^xsd:dateTime .");
        assertEquals(List.of(), batches, "45 s is on time against the watermark at 40 s");
        s.commit(t.plusSeconds(2), """
            ex:c ex:v 3 ; ex:ts "2026-01-01T00:00:35Z"^^xsd:dateTime .
            ex:d ex:v 4 ; ex:ts "2026-01-01T00:00:20Z"^^xsd:dateTime .
            ex:e ex:v 5 ; ex:ts "2026-01-01T00:00:55Z"^^xsd:dateTime .
            """);
        assertEquals(1, batches.size(), "one call for the commit");
        List<LateEvent> late = batches.get(0);
        assertEquals(4, late.size(), "the two quads of c and of d; e is on time");
        assertEquals(3, late.get(0).version());
        assertEquals(4, s.engine().status().get(0).lateEvents());

        JsonObject json = LateJson.of(late);
        assertEquals(3, json.get("version").getAsNumber().value().longValue());
        assertEquals("urn:w", json.get("window").getAsString().value());
        assertFalse(json.get("watermark").getAsString().value().isEmpty());
        JsonArray rows = json.get("events").getAsObject().get("results").getAsObject().get("bindings").getAsArray();
        assertEquals(4, rows.size());
        List<String> times = rows.stream().map(r -> r.getAsObject().get("subject").getAsObject().get("value").getAsString().value() + " "
                                                   + r.getAsObject().get("eventTime").getAsObject().get("value").getAsString().value())
                                 .distinct().sorted().toList();
        assertEquals(List.of("http://example.org/c 2026-01-01T00:00:35Z", "http://example.org/d 2026-01-01T00:00:20Z"), times);
        assertFalse(rows.get(0).getAsObject().hasKey("graph"), "a quad of the default graph has no graph");
    }
}
