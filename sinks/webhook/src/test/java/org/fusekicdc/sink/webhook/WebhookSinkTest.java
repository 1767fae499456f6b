package org.fusekicdc.sink.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.fusekicdc.core.wire.PatchRecord;
import org.fusekicdc.core.config.OptionValues;
import org.fusekicdc.core.testing.TestClock;
import org.fusekicdc.core.testing.TestLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The webhook sink's waits (rate limit, Retry-After) on a test clock: exact, and taking no time. */
class WebhookSinkTest {
    @RegisterExtension
    final TestLog changes = new TestLog();
    private Receiver receiver;
    private final TestClock clock = new TestClock();
    private final Instant start = clock.instant();
    // When each request arrived, by the test clock, as an offset from the start in milliseconds.
    private final List<Long> arrivals = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        if ( receiver != null )
            receiver.close();
    }

    private Receiver receiver(Receiver.Behaviour b) throws Exception {
        receiver = new Receiver((q, n) -> {
            arrivals.add(Duration.between(start, clock.instant()).toMillis());
            return b.answer(q, n);
        });
        return receiver;
    }

    private WebhookSink sink(String... kv) {
        Map<String, String> m = new HashMap<>(Map.of("url", receiver.url(), "secretEnv", "HOOK_SECRET"));
        for ( int i = 0 ; i < kv.length ; i += 2 )
            m.put(kv[i], kv[i + 1]);
        WebhookSink sink = new WebhookSink(WebhookSinkConfig.from("ds", new OptionValues("hook", m), Map.of("HOOK_SECRET", "s")::get), clock, clock);
        sink.open();
        return sink;
    }

    private PatchRecord patch() {
        return changes.append("TX .\nTC .\n");
    }

    @Test
    void theRateLimitSpacesRequestsToAnEndpoint() throws Exception {
        receiver((q, n) -> Receiver.Answer.OK);
        try (WebhookSink sink = sink("maxRequestsPerSecond", "4", "sendEmptyPatches", "true")) {
            for ( int i = 0 ; i < 5 ; i++ )
                sink.deliver(patch());
        }
        assertEquals(List.of(0L, 250L, 500L, 750L, 1000L), arrivals);
    }

    @Test
    void aRetryWaitsAsLongAsRetryAfterAsksButNoLongerThanTheLongestBackoff() throws Exception {
        receiver((q, n) -> switch (n) {
            case 0 -> new Receiver.Answer(503, "7", 0);
            case 1 -> new Receiver.Answer(429, DateTimeFormatter.RFC_1123_DATE_TIME.format(clock.instant().plusSeconds(30).atOffset(ZoneOffset.UTC)), 0);
            case 2 -> new Receiver.Answer(503, "3600", 0);
            default -> Receiver.Answer.OK;
        });
        try (WebhookSink sink = sink("backoffInitialMillis", "10", "backoffMaxMillis", "60000", "sendEmptyPatches", "true")) {
            sink.deliver(patch());
        }
        // Retry-After in seconds, then as an HTTP date, then an hour cut to the 60 s bound.
        assertEquals(List.of(0L, 7_000L, 37_000L, 97_000L), arrivals);
    }
}
