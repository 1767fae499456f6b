package org.fusekicdc.sink.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.fusekicdc.core.sink.PatchMessages;
import org.fusekicdc.core.sink.SinkConfig;
import org.fusekicdc.core.sink.SinkRunner;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a server while it publishes: a child JVM runs a captured TDB2 dataset, its change
 * log and a Kafka sink, writing without pause, and is killed ({@code destroyForcibly}) at a
 * random moment; then started again on the same directories; several rounds. Some patches are
 * several segments long, so kills also land in the middle of a patch.
 * <p>
 * Afterwards the partition, read with a plain consumer, must hold every version of the log
 * exactly once, in order, without gaps. The only extra records allowed are the first segments
 * of a patch whose publication a kill interrupted, directly followed by the whole patch.
 * <p>
 * Reproduce a run with {@code -Dfusekicdc.crashSeed=<seed printed at start>}.
 */
@ExtendWith(KafkaBrokerExtension.class)
class KafkaCrashIT {
    private static final int ROUNDS = 5;
    private static final int LARGE_EVERY = 7;
    private static final Duration CHILD_START_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Process> children = new CopyOnWriteArrayList<>();

    @AfterEach
    void cleanup() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void killedWhilePublishingEveryVersionEndsUpInTheTopicOnceInOrder(TestBroker broker) throws Exception {
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.out.println("KafkaCrashIT seed " + seed + " (rerun with -Dfusekicdc.crashSeed=" + seed + ")");
        Random rnd = new Random(seed);
        String topic = KafkaSinkIT.uniqueTopic("crash");
        Path store = dir.resolve("store");
        long start = System.nanoTime();
        List<Long> readyVersions = new ArrayList<>();
        for ( int round = 1 ; round <= ROUNDS ; round++ ) {
            Process child = startChild(round, store, broker, topic, readyVersions);
            // Long enough for the child to publish a good part of what it writes, short enough to kill it mid-stream.
            long killAfter = 800 + rnd.nextInt(1700);
            Thread.sleep(killAfter);
            if ( !child.isAlive() )
                fail("Round " + round + ": the child stopped by itself with status " + child.exitValue());
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child died");
            System.out.printf("  round %d: killed after %d ms%n", round, killAfter);
        }

        // Start-up after the last kill, here: recovery, then the sink catches up.
        try (CapturedStore s = CapturedStore.open(store, "ds");
             SinkRunner runner = s.runner(s.kafkaSink("kafka", KafkaCrashChild.sinkOptions(broker.bootstrapServers(), topic)),
                                          SinkConfig.DEFAULTS.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(1)))) {
            KafkaSinkIT.awaitCaughtUp(runner, s);
            long n = s.log.publishedVersion();
            assertTrue(readyVersions.get(readyVersions.size() - 1) > readyVersions.get(0), "the children wrote: " + readyVersions);

            List<ConsumerRecord<byte[], byte[]>> records = TopicRecords.readAll(broker, topic, false);
            int interrupted = checkOnceInOrder(records, n);
            LogReplay.assertLogReproduces(s.log, s.dsg);
            System.out.printf("KafkaCrash: %d rounds of kill -9, %d versions (log versions at each start: %s), %d records, %d interrupted patch starts, %.1f s%n",
                              ROUNDS, n, readyVersions, records.size(), interrupted, (System.nanoTime() - start) / 1e9);
        }
    }

    /**
     * Versions 1..n, each complete exactly once, in order; a run of first segments of version v
     * that stops short is allowed only right before the complete run of v.
     *
     * @return how many interrupted runs there were
     */
    static int checkOnceInOrder(List<ConsumerRecord<byte[], byte[]>> records, long n) {
        long expect = 1;
        int interrupted = 0;
        int i = 0;
        while ( i < records.size() ) {
            ConsumerRecord<byte[], byte[]> first = records.get(i);
            long v = TopicRecords.version(first);
            int count = Integer.parseInt(TopicRecords.header(first, PatchMessages.SEGMENTS));
            assertEquals(expect, v, () -> "expected version at " + TopicRecords.describe(first));
            assertEquals("0", TopicRecords.header(first, PatchMessages.SEGMENT), () -> "a patch starts with segment 0: " + TopicRecords.describe(first));
            int s = 0;
            int j = i;
            while ( j < records.size() && s < count && TopicRecords.version(records.get(j)) == v
                    && Integer.toString(s).equals(TopicRecords.header(records.get(j), PatchMessages.SEGMENT)) ) {
                j++;
                s++;
            }
            if ( s == count ) {
                expect++;
            } else {
                interrupted++;
                int at = j;
                assertTrue(at < records.size() && TopicRecords.version(records.get(at)) == v
                           && "0".equals(TopicRecords.header(records.get(at), PatchMessages.SEGMENT)),
                           () -> "an interrupted patch must be followed by the whole patch again; after " + TopicRecords.describe(records.get(at - 1)));
            }
            i = j;
        }
        assertEquals(n, expect - 1, "the last version in the topic is the log's last");
        return interrupted;
    }

    private Process startChild(int round, Path store, TestBroker broker, String topic, List<Long> readyVersions) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx256m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), KafkaCrashChild.class.getName(),
                           store.toString(), broker.bootstrapServers(), topic, Integer.toString(LARGE_EVERY)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        CompletableFuture<Long> ready = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("READY ") )
                        ready.complete(Long.parseLong(line.substring(6).trim()));
                    else if ( !line.isBlank() && !line.startsWith("WARNING: ") )
                        System.out.println("  [child " + round + "] " + line);
                }
            } catch (IOException ex) {
                // The child died.
            } finally {
                ready.completeExceptionally(new IllegalStateException("child exited before it was ready"));
            }
        }, "child-" + round + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            readyVersions.add(ready.get(CHILD_START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
            return p;
        } catch (TimeoutException ex) {
            p.destroyForcibly();
            throw new AssertionError("Round " + round + ": child did not start within " + CHILD_START_TIMEOUT, ex);
        }
    }
}
