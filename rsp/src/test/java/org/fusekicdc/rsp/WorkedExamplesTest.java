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

/** The worked examples of docs/stream-processing.md, each query read from the page ({@link DocExamples}). */
class WorkedExamplesTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    /** A stream where sensor s1 is in the kitchen and s2 in the hall, then the worked example {@code example} registered. */
    private static TestStream sensorsInRooms(String example) {
        TestStream s = new TestStream();
        s.commit(at(0), "ex:s1 ex:inRoom ex:kitchen . ex:s2 ex:inRoom ex:hall .");
        s.register(DocExamples.query(example));
        return s;
    }

    /** Commits each reading, "seconds sensor result", on its own: observations ex:o1, ex:o2, ... in the order given. */
    private static void readings(TestStream s, String... readings) {
        for ( int i = 0 ; i < readings.length ; i++ ) {
            String[] r = readings[i].split(" ");
            s.commit(at(Integer.parseInt(r[0])), "ex:o" + (i + 1) + " sosa:madeBySensor ex:" + r[1] + " ; sosa:hasSimpleResult " + r[2] + " .");
        }
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
        TestStream s = sensorsInRooms("average");
        readings(s, "10 s1 20", "20 s2 10", "70 s1 22");
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
        s.register(DocExamples.query("silent-sensor"));
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
        s.register(DocExamples.query("tailgating"));
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
        s.register(DocExamples.query("top-ten"));
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

    /** Each step that has rows, as "windowEnd(s): row, row". */
    private static List<String> alerts(TestStream s) {
        List<String> out = new ArrayList<>();
        for ( Step step : s.steps() )
            if ( !rows(step).isEmpty() )
                out.add(Duration.between(T0, step.windowEnd()).toSeconds() + ": " + String.join(", ", rows(step)));
        return out;
    }

    @Test
    void roomWhoseAverageOverFiveMinutesIsAboveThirty() {
        TestStream s = sensorsInRooms("threshold");
        readings(s, "10 s1 25", "20 s2 20", "70 s1 38", "130 s1 40", "200 s1 10", "250 s1 45");
        s.engine().advanceTo(at(300));
        assertEquals(5, s.steps().size(), "a step each minute up to 300 s");
        // Kitchen averages: 25 at 60 s, 31.5 at 120 s, 34.3 at 180 s, 28.25 at 240 s, 31.6 at 300 s; the hall stays at 20.
        // ISTREAM: the kitchen when it crosses 30, not again while it stays above, again after it fell below.
        assertEquals(List.of("120: kitchen", "300: kitchen"), alerts(s));
        assertTrue(s.failures().isEmpty());
    }

    @Test
    void sensorWhoseReadingsRise() {
        TestStream s = new TestStream();
        s.register(DocExamples.query("trend"));
        readings(s, "10 s1 20", "15 s2 20", "70 s1 21", "75 s2 22", "130 s1 23.5", "135 s2 21", "190 s1 19");
        s.engine().advanceTo(at(300));
        // s1 rises 20, 21, 23.5 (its third reading makes the trend at 180 s), then falls to 19; s2 goes 20, 22, 21: never rising.
        assertEquals(List.of("180: s1 3"), alerts(s));
        assertTrue(s.failures().isEmpty());
    }
}
