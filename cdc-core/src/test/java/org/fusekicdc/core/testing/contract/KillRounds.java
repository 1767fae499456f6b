package org.fusekicdc.core.testing.contract;

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
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Rounds of {@link ContractChild}, each started on the same store while the previous one's
 * writes and deliveries were cut short: odd rounds are killed with SIGKILL ({@code destroyForcibly})
 * at a random moment; even rounds halt right after a delivery, before the cursor records it. Reproduce a run
 * with {@code -Dfusekicdc.crashSeed=<seed printed at start>}.
 */
final class KillRounds {
    private static final Duration CHILD_START_TIMEOUT = Duration.ofSeconds(60);

    private KillRounds() {}

    /** Run {@code rounds} rounds; returns the log's version at each child's start. */
    static List<Long> run(int rounds, Path store, Class<?> provider, Map<String, String> options) throws Exception {
        long seed = Long.getLong("fusekicdc.crashSeed", System.nanoTime());
        System.out.println("kill -9 clause seed " + seed + " (rerun with -Dfusekicdc.crashSeed=" + seed + ")");
        Random rnd = new Random(seed);
        List<Long> readyVersions = new ArrayList<>();
        for ( int round = 1 ; round <= rounds ; round++ ) {
            boolean halt = round % 2 == 0;
            Process child = start(round, store, provider, halt ? 30 + rnd.nextInt(50) : 0, options, readyVersions);
            try {
                if ( halt ) {
                    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "round " + round + ": the child halts after a delivery");
                    assertEquals(137, child.exitValue(), "round " + round + ": the child halted after a delivery");
                } else {
                    // Long enough to publish a good part of what it writes, short enough to kill it mid-stream.
                    Thread.sleep(800 + rnd.nextInt(1700));
                    if ( !child.isAlive() )
                        fail("Round " + round + ": the child stopped by itself with status " + child.exitValue());
                }
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child died");
            }
        }
        return readyVersions;
    }

    private static Process start(int round, Path store, Class<?> provider, long haltAfter, Map<String, String> options, List<Long> readyVersions)
            throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx256m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ContractChild.class.getName(), store.toString(), provider.getName(),
                           Integer.toString(round), Long.toString(haltAfter)));
        options.forEach((k, v) -> cmd.add(k + "=" + v));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
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
