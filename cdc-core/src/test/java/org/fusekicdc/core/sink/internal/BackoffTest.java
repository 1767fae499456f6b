package org.fusekicdc.core.sink.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class BackoffTest {
    private static List<Long> delays(Backoff b, int n) {
        return Stream.generate(b::nextMillis).limit(n).toList();
    }

    @Test
    void eachDelayDoublesTheOneBeforeUpToTheBound() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofMillis(1000), () -> 0.5);
        assertEquals(List.of(100L, 200L, 400L, 800L, 1000L, 1000L), delays(b, 6));
    }

    @Test
    void jitterPlacesEachDelayBetweenFourAndSixFifthsOfItsStep() {
        assertEquals(List.of(80L, 160L), delays(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.0), 2));
        assertEquals(List.of(119L, 239L), delays(new Backoff(Duration.ofMillis(100), Duration.ofSeconds(1), () -> 0.999), 2));
    }

    @Test
    void aSuccessStartsAgainFromTheInitialDelay() {
        Backoff b = new Backoff(Duration.ofMillis(100), Duration.ofSeconds(10), () -> 0.5);
        delays(b, 4);
        b.reset();
        assertEquals(List.of(100L, 200L), delays(b, 2));
    }
}
