package org.fusekicdc.fuseki.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.time.Duration;

import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.fuseki.stream.StreamWatch.Due;
import org.junit.jupiter.api.Test;

/** Heartbeats and the slow-reader bound of an event stream, on a test clock. */
class StreamWatchTest {
    private final TestClock clock = new TestClock();
    private final StreamWatch watch = new StreamWatch(Duration.ofSeconds(15), Duration.ofSeconds(60), clock::nanoTime);

    @Test
    void anIdleStreamIsDueAHeartbeatEachIntervalAfterItsLastWrite() {
        clock.advance(Duration.ofSeconds(14));
        assertEquals(Due.NOTHING, watch.due());
        clock.advance(Duration.ofSeconds(1));
        assertEquals(Due.HEARTBEAT, watch.due());
        watch.wrote();
        assertEquals(Due.NOTHING, watch.due());
        clock.advance(Duration.ofSeconds(15));
        assertEquals(Due.HEARTBEAT, watch.due());
    }

    @Test
    void aClientThatTakesNothingPastTheBoundIsASlowReaderAndGetsNoHeartbeatMeanwhile() {
        clock.advance(Duration.ofSeconds(5));
        watch.blocked();
        clock.advance(Duration.ofSeconds(30));
        assertEquals(Due.NOTHING, watch.due(), "no heartbeat for a client that takes no bytes");
        watch.blocked();   // still the same stall: the bound counts from its start
        clock.advance(Duration.ofSeconds(31));
        assertEquals(Due.SLOW_READER, watch.due());
    }

    @Test
    void aClientThatTakesBytesAgainStartsANewStall() {
        watch.blocked();
        clock.advance(Duration.ofSeconds(50));
        watch.unblocked();
        watch.wrote();
        watch.blocked();
        clock.advance(Duration.ofSeconds(50));
        assertEquals(Due.NOTHING, watch.due());
    }

    @Test
    void aFiniteBodyHasNoHeartbeat() {
        StreamWatch body = new StreamWatch(null, Duration.ofSeconds(60), clock::nanoTime);
        assertFalse(body.hasHeartbeat());
        clock.advance(Duration.ofDays(1));
        assertEquals(Due.NOTHING, body.due());
    }
}
