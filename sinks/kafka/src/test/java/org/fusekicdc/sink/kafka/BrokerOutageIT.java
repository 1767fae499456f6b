package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkRunner;
import org.fusekicdc.core.sink.SinkState;
import org.fusekicdc.core.sink.SinkStatus;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The broker goes away in the middle of a write workload and comes back: writes go on, the sink
 * reports RETRYING with the error meanwhile, and afterwards every version is in the topic once,
 * in order.
 * <p>
 * Needs a broker it can stop, so it always starts a KRaft cluster of its own in this JVM (also
 * when {@value TestBroker#ENV} is set). The broker is stopped with a controlled shutdown of its
 * {@code BrokerServer} and started again in place: same data directory, and the same port, which
 * the test kit's pre-bound socket factory binds again.
 */
class BrokerOutageIT {
    private static final Duration WAIT = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void deliveryWaitsOutABrokerOutageAndResumesInOrderWithoutDuplicates() throws Exception {
        TestBroker broker;
        try {
            broker = TestBroker.embedded(dir.resolve("kafka"));
        } catch (Exception | Error ex) {
            throw TestBroker.unavailable("could not start an in-JVM KRaft cluster", ex);
        }
        String topic = "it-outage";
        Map<String, String> opts = KafkaSinkIT.options(broker, topic);
        opts.put("sendTimeoutSeconds", "3");
        SinkConfig retry = SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(200), Duration.ofSeconds(2));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger written = new AtomicInteger();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        try (broker; CapturedStore store = CapturedStore.open(dir.resolve("store"), "ds");
             SinkRunner runner = store.runner(store.kafkaSink("kafka", opts), retry)) {
            Thread writer = Thread.ofPlatform().name("outage-writer").start(() -> {
                try {
                    while ( !stop.get() ) {
                        store.write(written.incrementAndGet());
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    writerFailure.set(t);
                }
            });
            Await.until(WAIT, () -> runner.status().cursor() >= 50, () -> "50 versions delivered; status " + runner.status());

            broker.stopBroker();
            long stoppedAt = store.log.publishedVersion();
            Await.until(WAIT, () -> runner.status().state() == SinkState.RETRYING, () -> "sink retrying; status " + runner.status());
            SinkStatus during = runner.status();
            assertTrue(during.lastError() != null && during.lastError().startsWith("version "), "error names the version: " + during.lastError());
            System.out.println("During the outage: " + during);
            // Writers are not held up by the outage.
            Await.until(WAIT, () -> store.log.publishedVersion() >= stoppedAt + 100, () -> "writes continue during the outage");
            long cursorInOutage = runner.status().cursor();

            broker.startBroker();
            Await.until(WAIT, () -> runner.status().cursor() > cursorInOutage + 20, () -> "delivery resumed; status " + runner.status());
            stop.set(true);
            writer.join();
            if ( writerFailure.get() != null )
                throw new AssertionError("writer failed", writerFailure.get());
            KafkaSinkIT.awaitCaughtUp(runner, store);
            assertEquals(SinkState.RUNNING, runner.status().state());

            long n = store.log.publishedVersion();
            assertEquals(written.get(), n, "one version per write");
            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            PatchChecks.assertVersionsOnceInOrder(records, n);
            LogReplay.assertSameDataset(store.dsg, PatchChecks.replay(records, "ds"), "replay of the topic after the outage");
            System.out.printf("Broker outage: %d versions, %d written while the broker was down, all delivered once in order%n", n, n - stoppedAt);
        }
    }
}
