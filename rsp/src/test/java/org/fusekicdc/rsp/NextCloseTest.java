package org.fusekicdc.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The engine says when a query reports next without a commit, so that its feeder can wait exactly until then. */
class NextCloseTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static Instant at(long millis) {
        return T0.plusMillis(millis);
    }

    @Test
    void aTimeWindowClosesAtItsEndAndTheNextOneIsDueThen() {
        TestStream s = new TestStream();
        assertEquals(Optional.empty(), s.engine().nextClose(), "no query: nothing to wait for");
        s.register("""
            REGISTER RSTREAM <urn:out:n> AS
            SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [RANGE PT5S STEP PT1S]
            WHERE { WINDOW <urn:w> { ?s ex:p ?o } }
            """);
        s.engine().advanceTo(at(10_300));
        assertEquals(Optional.of(at(11_000)), s.engine().nextClose());
        s.engine().advanceTo(at(10_999));
        assertEquals(0, s.steps().size(), "one millisecond before its end the window is open");
        s.engine().advanceTo(at(11_000));
        assertEquals(1, s.steps().size(), "at its end the window closes");
        assertEquals(at(11_000), s.steps().get(0).windowEnd());
        assertEquals(Optional.of(at(12_000)), s.engine().nextClose());
    }

    @Test
    void aSessionClosesAGapAfterItsLastEventAndCountWindowsWaitForCommits() {
        TestStream s = new TestStream();
        s.register("""
            REGISTER RSTREAM <urn:out:rows> AS
            SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [ROWS 10]
            WHERE { WINDOW <urn:w> { ?s ex:p ?o } }
            """);
        s.commit(at(1_000), "ex:a ex:p 1 .");
        assertEquals(Optional.empty(), s.engine().nextClose(), "a count window reports only on a commit");
        s.register("""
            REGISTER RSTREAM <urn:out:session> AS
            SELECT (COUNT(*) AS ?n)
            FROM NAMED WINDOW <urn:w> ON cdc:added [SESSION GAP PT2S]
            WHERE { WINDOW <urn:w> { ?s ex:p ?o } }
            """);
        assertEquals(Optional.empty(), s.engine().nextClose(), "no session open yet");
        s.commit(at(1_500), "ex:b ex:p 2 .");
        assertEquals(Optional.of(at(3_500)), s.engine().nextClose());
        s.engine().advanceTo(at(3_500));
        assertEquals(Optional.empty(), s.engine().nextClose(), "the session closed");
    }
}
