package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.graph.Node;
import org.apache.jena.sparql.core.Var;
import org.apache.jena.sparql.engine.binding.Binding;
import org.junit.jupiter.api.Test;

/** The examples of docs/stream-processing.md, run as they are written there. */
class WorkedExamplesTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    /** Each row as "var=value ..." in the query's variable order, values as their lexical form or local name. */
    static List<String> rows(Step step) {
        StepResult.Rows r = (StepResult.Rows)step.result();
        List<String> out = new ArrayList<>();
        for ( Binding b : r.rows() ) {
            StringBuilder sb = new StringBuilder();
            for ( Var v : r.vars() ) {
                Node n = b.get(v);
                String text = n == null ? "-" : n.isURI() ? n.getLocalName() : n.isLiteral() ? n.getLiteralLexicalForm() : n.toString();
                if ( n != null && n.isLiteral() && n.getLiteralValue() instanceof Number num && text.contains(".") )
                    text = String.format("%.2f", num.doubleValue());
                sb.append(sb.isEmpty() ? "" : " ").append(text);
            }
            out.add(sb.toString());
        }
        out.sort(null);
        return out;
    }

    @Test
    void averageTemperaturePerRoomEveryMinuteFollowsReferenceData() {
        TestStream s = new TestStream();
        s.commit(at(0), "ex:s1 ex:inRoom ex:kitchen . ex:s2 ex:inRoom ex:hall .");
        s.register("""
            REGISTER RSTREAM <urn:out:avg> AS
            SELECT ?room (AVG(?t) AS ?avg) (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT5M STEP PT1M]
            WHERE {
              WINDOW <urn:w> { ?obs sosa:madeBySensor ?s ; sosa:hasSimpleResult ?t }
              ?s ex:inRoom ?room .
            }
            GROUP BY ?room
            """);
        s.commit(at(10), "ex:o1 sosa:madeBySensor ex:s1 ; sosa:hasSimpleResult 20 .");
        s.commit(at(20), "ex:o2 sosa:madeBySensor ex:s2 ; sosa:hasSimpleResult 10 .");
        s.commit(at(70), "ex:o3 sosa:madeBySensor ex:s1 ; sosa:hasSimpleResult 22 .");
        assertEquals(1, s.steps().size(), "the commit at 70 s closes the window ending at 60 s");
        Step first = s.steps().get(0);
        assertEquals(at(60), first.windowEnd());
        assertEquals(at(-240), first.windowStart());
        assertEquals(3, first.version(), "evaluated before the commit at 70 s");
        assertEquals(List.of("hall 10.00 1", "kitchen 20.00 1"), rows(first));

        s.engine().advanceTo(at(120));
        assertEquals(List.of("hall 10.00 1", "kitchen 21.00 2"), rows(s.steps().get(1)));

        // Sensor s2 moves to the kitchen: its past readings count there from the next step.
        s.commit(at(130), "ex:s2 ex:inRoom ex:kitchen .", "ex:s2 ex:inRoom ex:hall .");
        s.engine().advanceTo(at(180));
        Step third = s.steps().get(2);
        assertEquals(5, third.version());
        assertEquals(List.of("kitchen 17.33 3"), rows(third));
        assertEquals(third.number(), first.number() + 2, "one step per minute, numbered by the minute");

        // After five minutes without readings the window is empty: no rows.
        s.engine().advanceTo(at(480));
        assertEquals(List.of(), rows(s.steps().get(s.steps().size() - 1)));
    }

    @Test
    void sensorWithNoReadingForTwoMinutes() {
        TestStream s = new TestStream();
        s.commit(at(0), "ex:s1 a sosa:Sensor . ex:s2 a sosa:Sensor .");
        s.register("""
            REGISTER ISTREAM <urn:out:silent> AS
            SELECT ?sensor
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT2M STEP PT1M]
            WHERE {
              ?sensor a sosa:Sensor .
              FILTER NOT EXISTS { WINDOW <urn:w> { ?obs sosa:madeBySensor ?sensor } }
            }
            """);
        s.commit(at(30), "ex:o1 sosa:madeBySensor ex:s1 .");
        s.commit(at(90), "ex:o2 sosa:madeBySensor ex:s1 .");
        s.commit(at(150), "ex:o3 sosa:madeBySensor ex:s1 .");
        s.engine().advanceTo(at(180));
        // Steps at 60 s, 120 s, 180 s: s2 has been silent from the first; ISTREAM reports it once.
        assertEquals(List.of("s2"), rows(s.steps().get(0)));
        assertEquals(List.of(), rows(s.steps().get(1)));
        assertEquals(List.of(), rows(s.steps().get(2)));
        // s1 falls silent after 150 s: at 300 s its last reading has left the two-minute window.
        s.engine().advanceTo(at(300));
        assertEquals(List.of(), rows(s.steps().get(3)), "at 240 s the reading at 150 s is still in the window");
        assertEquals(List.of("s1"), rows(s.steps().get(4)));
    }

    @Test
    void doorOpenedAndNoBadgeWithinThirtySeconds() {
        TestStream s = new TestStream();
        s.register("""
            REGISTER ISTREAM <urn:out:tailgating> AS
            SELECT ?door ?opened
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1M STEP PT10S]
            WHERE {
              WINDOW <urn:w> { ?e a ex:DoorOpened ; ex:door ?door ; cdc:time ?opened }
              FILTER (?opened <= NOW() - "PT30S"^^xsd:dayTimeDuration)
              FILTER NOT EXISTS {
                WINDOW <urn:w> { ?b a ex:BadgeSwipe ; ex:door ?door ; cdc:time ?swiped }
                FILTER (?swiped >= ?opened && ?swiped <= ?opened + "PT30S"^^xsd:dayTimeDuration)
              }
            }
            """);
        s.commit(at(5), "ex:e1 a ex:DoorOpened ; ex:door ex:front .");
        s.commit(at(12), "ex:b1 a ex:BadgeSwipe ; ex:door ex:front .");
        s.commit(at(20), "ex:e2 a ex:DoorOpened ; ex:door ex:back .");
        s.commit(at(61), "ex:e3 a ex:DoorOpened ; ex:door ex:front .");
        s.commit(at(75), "ex:b2 a ex:BadgeSwipe ; ex:door ex:front .");
        s.engine().advanceTo(at(120));
        List<String> alerts = new ArrayList<>();
        for ( Step step : s.steps() )
            alerts.addAll(rows(step));
        // e1 was followed by a badge 7 s later, e3 by one 14 s later; e2 at the back door by none: one alert, once.
        assertEquals(List.of("back " + at(20)), alerts);
        Step alert = s.steps().stream().filter(st -> !rows(st).isEmpty()).findFirst().orElseThrow();
        assertEquals(at(50), alert.windowEnd(), "the first step 30 s or more after the door opened");
    }

    @Test
    void topTenUsersThisHour() {
        TestStream s = new TestStream();
        s.register("""
            REGISTER RSTREAM <urn:out:top> AS
            SELECT ?user (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT1H STEP PT1M]
            WHERE { WINDOW <urn:w> { ?action ex:actor ?user } }
            GROUP BY ?user
            ORDER BY DESC(?n) ?user
            LIMIT 10
            """);
        StringBuilder trig = new StringBuilder();
        for ( int u = 0; u < 15; u++ )
            for ( int a = 0; a <= u; a++ )
                trig.append("ex:a").append(u).append('_').append(a).append(" ex:actor ex:u").append(u < 10 ? "0" : "").append(u).append(" .\n");
        s.commit(at(1), trig.toString());
        s.engine().advanceTo(at(60));
        StepResult.Rows r = (StepResult.Rows)s.steps().get(0).result();
        assertEquals(10, r.rows().size());
        assertEquals("u14", r.rows().get(0).get(Var.alloc("user")).getLocalName(), "ORDER BY is kept: the most active first");
        assertEquals("15", r.rows().get(0).get(Var.alloc("n")).getLiteralLexicalForm());
        assertEquals("u05", r.rows().get(9).get(Var.alloc("user")).getLocalName());
        assertTrue(s.failures().isEmpty());
        assertEquals(Duration.ofHours(1), Duration.between(s.steps().get(0).windowStart(), s.steps().get(0).windowEnd()));
    }
}
