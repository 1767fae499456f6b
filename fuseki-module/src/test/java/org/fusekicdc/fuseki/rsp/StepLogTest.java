package org.fusekicdc.fuseki.rsp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.jena.atlas.json.JSON;
import org.apache.jena.atlas.json.JsonObject;
import org.fusekicdc.core.internal.log.LogRecord;
import org.fusekicdc.rsp.StepJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Steps handed to the step log are appended on its own thread, in order, once each, also across a restart. */
class StepLogTest {
    @TempDir
    Path dir;

    private static JsonObject step(long n) {
        JsonObject o = new JsonObject();
        o.put("query", "q");
        o.put("step", n);
        return o;
    }

    private static List<Long> steps(StepLog log) {
        List<Long> out = new ArrayList<>();
        for ( LogRecord r : log.log().readAfter(0, 1000) )
            out.add(StepJson.stepOf(JSON.parse(new String(r.payloadBytes(), StandardCharsets.UTF_8))));
        return out;
    }

    @Test
    void stepsHandedOverAreInTheLogOnceInOrderAfterClose() {
        StepLog log = StepLog.open(dir, "ds", "q", true);
        for ( long n = 1; n <= 3 * StepLog.MAX_QUEUED; n++ ) {
            long k = n;
            assertTrue(log.offer(k, () -> step(k)), "step " + k + " is handed over, waiting for the disk when the queue is full");
        }
        assertFalse(log.offer(7, () -> step(7)), "a step at or below the last handed over is not taken again");
        log.close();

        StepLog reopened = StepLog.open(dir, "ds", "q", true);
        try {
            assertEquals(3L * StepLog.MAX_QUEUED, reopened.lastStep(), "closing appended every step handed over");
            assertEquals(java.util.stream.LongStream.rangeClosed(1, 3L * StepLog.MAX_QUEUED).boxed().toList(), steps(reopened));
            assertFalse(reopened.offer(5, () -> step(5)), "a step replayed after a restart is not appended again");
            assertTrue(reopened.offer(3L * StepLog.MAX_QUEUED + 1, () -> step(3L * StepLog.MAX_QUEUED + 1)));
        } finally {
            reopened.close();
        }
    }

    @Test
    void stepsHandedOverWithoutWaitingKeepTheirOrderWithTheOthers() {
        StepLog log = StepLog.open(dir, "ds", "q", true);
        for ( long n = 1; n <= 20; n++ ) {
            long k = n;
            if ( n % 3 == 0 )
                assertTrue(log.offer(k, () -> step(k)));
            else
                while ( !log.offerNow(k, () -> step(k)) )
                    Thread.onSpinWait();     // the queue is full: the step is offered again, before any later one
        }
        assertTrue(log.offerNow(4, () -> step(4)), "a step the log was handed already counts as handed over");
        log.close();

        StepLog reopened = StepLog.open(dir, "ds", "q", true);
        try {
            assertEquals(java.util.stream.LongStream.rangeClosed(1, 20).boxed().toList(), steps(reopened), "every step once, in order");
        } finally {
            reopened.close();
        }
    }
}
