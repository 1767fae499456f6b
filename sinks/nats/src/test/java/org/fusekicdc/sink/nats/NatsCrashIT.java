package org.fusekicdc.sink.nats;

import static org.fusekicdc.sink.nats.NatsTesting.URL;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.nats.client.Connection;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.tdb2.TDB2Factory;
import org.apache.jena.tdb2.sys.TDBInternal;
import org.fusekicdc.core.capture.Tdb2JournalRepair;
import org.fusekicdc.core.log.ChangeLog;
import org.fusekicdc.core.log.ChangeLogConfig;
import org.fusekicdc.core.sink.PatchMessages;
import org.fusekicdc.core.testing.LogReplay;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exactly once across crashes: a child JVM ({@link NatsCrashChild}) writes to a captured TDB2
 * dataset while its sink runner publishes to JetStream, and dies, several rounds, each restarting
 * on the same directories: by SIGKILL at a random moment, or by a halt injected right after a
 * publish was acknowledged by the stream and before the sink's cursor recorded it (so the
 * restarted sink must learn from the stream, not its cursor, where to continue). A final child delivers what
 * is left and stops cleanly. The subject must then hold every version of the log exactly once,
 * in order, with the log's ids, and replay to the TDB2 dataset.
 */
@SuppressWarnings("try")  // jnats Connection.close() may throw InterruptedException
class NatsCrashIT {
    private static final int ROUNDS = 5;
    private static final long SEED = Long.getLong("fusekicdc.crashSeed", System.nanoTime());

    @TempDir
    Path work;

    private final List<Process> children = new ArrayList<>();

    @BeforeEach
    void server() {
        NatsTesting.requireServer();
    }

    @AfterEach
    void killChildren() {
        children.forEach(Process::destroyForcibly);
    }

    @Test
    void killingTheProcessRepeatedlyLeavesEachVersionOnceOnTheSubject() throws Exception {
        String stream = NatsTesting.unique("FUSEKI_CDC_CRASH_"), subject = "fuseki-cdc-it." + NatsTesting.unique("crash");
        Random random = new Random(SEED);
        System.out.println("NatsCrashIT seed " + SEED + " (-Dfusekicdc.crashSeed=" + SEED + " to repeat the plan)");
        try (Connection nc = NatsTesting.connect(URL)) {
            try {
                long haltedAt = -1;
                for ( int round = 1 ; round <= ROUNDS ; round++ ) {
                    long onSubject = NatsTesting.readSubject(nc, stream, subject).size();
                    // Even rounds: halt right after a publish, before the cursor records it. Odd rounds: SIGKILL at a random moment.
                    boolean inject = round % 2 == 0;
                    Child child = start(stream, subject, "write", round, inject ? onSubject + 30 + random.nextInt(50) : 0);
                    if ( haltedAt > 0 ) {
                        long cursor = Long.parseLong(child.ready.substring(child.ready.indexOf("cursor ") + 7).trim());
                        assertTrue(cursor < haltedAt, "after the halt the cursor (" + cursor + ") lags the subject (" + haltedAt + ")");
                        haltedAt = -1;
                    }
                    String how;
                    if ( inject ) {
                        assertTrue(child.process.waitFor(30, TimeUnit.SECONDS), "round " + round + ": the child halts after publishing");
                        haltedAt = NatsTesting.readSubject(nc, stream, subject).size();
                        how = "halted after publishing version " + haltedAt;
                    } else {
                        long runMillis = 800 + random.nextInt(1700);
                        Thread.sleep(runMillis);
                        child.process.destroyForcibly();
                        child.process.waitFor(10, TimeUnit.SECONDS);
                        how = "killed after " + runMillis + " ms";
                    }
                    System.out.println("  round " + round + ": started at version " + child.ready + ", " + how + "; subject holds "
                                       + NatsTesting.readSubject(nc, stream, subject).size() + " messages");
                }
                Child last = start(stream, subject, "drain", ROUNDS + 1, 0);
                if ( haltedAt > 0 )
                    assertTrue(Long.parseLong(last.ready.substring(last.ready.indexOf("cursor ") + 7).trim()) < haltedAt);
                String drained = last.lastLine.get(90, TimeUnit.SECONDS);
                assertTrue(last.process.waitFor(30, TimeUnit.SECONDS), "final child stops");
                assertEquals(0, last.process.exitValue());
                System.out.println("  final: " + drained);

                Tdb2JournalRepair.repairTornTail(NatsCrashChild.tdbDir(work));   // as the assembler does: a kill can tear TDB2's journal

                DatasetGraph tdb = TDB2Factory.connectDataset(NatsCrashChild.tdbDir(work).toString()).asDatasetGraph();
                try (ChangeLog log = ChangeLog.open(ChangeLogConfig.defaults(NatsCrashChild.logDir(work), "ds"))) {
                    List<NatsTesting.Stored> messages = NatsTesting.readSubject(nc, stream, subject);
                    long head = log.publishedVersion();
                    assertTrue(head > ROUNDS * 10, "the rounds wrote something: " + head);
                    DatasetGraph replay = NatsTesting.checkAndReplay(messages, head, "ds");
                    for ( NatsTesting.Stored m : messages )
                        assertEquals(log.read(m.version()).meta().id().toString(), m.headers().get(PatchMessages.ID), "id of version " + m.version());
                    LogReplay.assertSameDataset(tdb, replay, "replay of the subject after " + ROUNDS + " kills");
                } finally {
                    TDBInternal.expel(tdb);
                }
            } finally {
                NatsTesting.deleteStream(nc, stream);
            }
        }
    }

    private record Child(Process process, String ready, CompletableFuture<String> lastLine) {}

    private Child start(String stream, String subject, String mode, int round, long haltAfter) throws Exception {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m"));
        System.getProperties().stringPropertyNames().stream().filter(n -> n.startsWith("log4j") || n.startsWith("fusekicdc")).sorted()
              .forEach(n -> cmd.add("-D" + n + "=" + System.getProperty(n)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), NatsCrashChild.class.getName(), work.toString(), URL, stream, subject, mode,
                           Integer.toString(round), Long.toString(haltAfter)));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        children.add(p);
        CompletableFuture<String> ready = new CompletableFuture<>();
        CompletableFuture<String> drained = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ( (line = in.readLine()) != null ) {
                    if ( line.startsWith("READY ") )
                        ready.complete(line.substring(6).trim());
                    else if ( line.startsWith("DRAINED ") )
                        drained.complete(line);
                    else if ( !line.isBlank() )
                        System.out.println("  [child " + round + "] " + line);
                }
            } catch (IOException ex) {
                // The child died.
            } finally {
                ready.completeExceptionally(new IllegalStateException("child " + round + " exited before it was ready"));
                drained.completeExceptionally(new IllegalStateException("child " + round + " exited before it drained"));
            }
        }, "child-" + round + "-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new Child(p, ready.get(60, TimeUnit.SECONDS), drained);
        } catch (java.util.concurrent.TimeoutException ex) {
            p.destroyForcibly();
            fail("child " + round + " not ready within 60 s");
            return null;
        }
    }
}
