package org.fusekicdc.core.testing;

import static org.fusekicdc.core.testing.TestSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.fusekicdc.core.internal.capture.CapturingDatasetGraph;
import org.fusekicdc.core.internal.log.ChangeLog;
import org.fusekicdc.core.sink.internal.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;

/**
 * A sink's destination going away in the middle of a write workload and coming back: the
 * workload goes on, the sink retries without acknowledging anything while the destination is
 * down, and catches up afterwards. The caller then checks the destination holds every version
 * once, in order.
 */
public final class SinkOutage {
    /** Stops or starts the destination. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /** What happened: where the sink stood when the destination went away, and the error it reported. */
    public record Outage(long stoppedAt, String errorDuringOutage) {}

    private SinkOutage() {}

    /** The writer's pause between transactions unless told otherwise: a steady trickle, not a tight loop. */
    public static final Duration WRITER_PAUSE = Duration.ofMillis(3);

    /** {@link #run(CapturingDatasetGraph, ChangeLog, SinkRunner, Workload, Duration, Duration, Action, Action)} at the {@link #WRITER_PAUSE} pace. */
    public static Outage run(CapturingDatasetGraph dsg, ChangeLog log, SinkRunner runner, Workload workload, Duration outage,
                             Action stop, Action start) throws Exception {
        return run(dsg, log, runner, workload, outage, WRITER_PAUSE, stop, start);
    }

    /**
     * Run {@code workload} on {@code dsg}, pausing {@code writerPause} after each transaction
     * (a pace the sink can follow), while {@code runner} delivers; after 100 versions,
     * {@code stop} the destination for {@code outage}, then {@code start} it again, and wait until
     * the sink has caught up with the log.
     */
    public static Outage run(CapturingDatasetGraph dsg, ChangeLog log, SinkRunner runner, Workload workload, Duration outage,
                             Duration writerPause, Action stop, Action start) throws Exception {
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger written = new AtomicInteger();
        runner.start();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            while ( writing.get() ) {
                workload.step(dsg);
                written.incrementAndGet();
                try {
                    Thread.sleep(writerPause);
                } catch (InterruptedException ex) {
                    return;
                }
            }
        });
        await("100 versions delivered", Duration.ofSeconds(90), () -> runner.status().cursor() >= 100);

        stop.run();
        await("sink retrying", Duration.ofSeconds(15), () -> runner.status().state() == SinkState.RETRYING);
        SinkStatus during = runner.status();
        long stoppedAt = during.cursor();
        assertNotNull(during.lastError());
        Thread.sleep(outage.toMillis());
        assertEquals(SinkState.RETRYING, runner.status().state(), "still retrying while the destination is down");
        assertEquals(stoppedAt, runner.status().cursor(), "nothing is acknowledged while the destination is down");
        int writtenDuringOutage = written.get();

        start.run();
        await("writes after the restart", Duration.ofSeconds(60), () -> written.get() > writtenDuringOutage + 100);
        writing.set(false);
        writer.get(10, TimeUnit.SECONDS);
        await("sink catches up", Duration.ofSeconds(90), () -> runner.status().cursor() == log.publishedVersion());
        assertEquals(SinkState.RUNNING, runner.status().state());
        assertTrue(log.publishedVersion() > stoppedAt + 100, "the workload went on during and after the outage");
        return new Outage(stoppedAt, during.lastError());
    }
}
